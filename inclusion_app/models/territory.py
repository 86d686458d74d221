"""The territory: districts (quartiers, communes) and the help points that lie in them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion_app.extensions import Model, db
from inclusion_app.models.people import Structure, User
from inclusion_app.models.types import UTCDateTime, utcnow


class District(Model):
    """A quartier or a commune, with its polygon as GeoJSON and an optional population.

    `geometry` is a GeoJSON geometry object (Polygon or MultiPolygon, WGS 84 longitude/latitude)
    serialised as text; `population` is a head count when known (INSEE), else None.
    """

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    code_insee: Mapped[str | None] = mapped_column(sa.String(5))
    commune: Mapped[str | None] = mapped_column(sa.String(200))
    population: Mapped[int | None] = mapped_column()
    geometry: Mapped[str] = mapped_column(sa.Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<District {self.id}>"


help_point_counsellors = sa.Table(
    "help_point_counsellors",
    db.metadata,
    sa.Column("help_point_id", sa.ForeignKey("help_points.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class HelpPoint(Model):
    """A lieu de médiation numérique: every field of the national standard v1.0.2, plus local data.

    Published fields keep the standard's names (`../shared/data/lieux/schema…v1.0.2.json`); list
    fields are JSON lists of str; `telephone` is E.164; `lieu_id` is the standard's `id`, the
    national identifier and the import's upsert key. Local, unpublished data: the district the
    point lies in (None with `is_outside_territory` when no district contains it, or None alone
    when it has no coordinates), its structure, the counsellors who work there, `is_active`, where
    the record came from and the state of its opening hours. `commune`, `code_postal` and `adresse`
    are required by the standard but may be missing from an imported record: such a point is kept
    and listed here, and left out of the open data until completed (see `lieux.export`).
    """

    __tablename__ = "help_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    lieu_id: Mapped[str] = mapped_column(sa.Text(), unique=True)
    pivot: Mapped[str] = mapped_column(sa.Text(), default="00000000000000")
    nom: Mapped[str] = mapped_column(sa.Text())
    commune: Mapped[str | None] = mapped_column(sa.Text())
    code_postal: Mapped[str | None] = mapped_column(sa.Text())
    code_insee: Mapped[str | None] = mapped_column(sa.Text())
    adresse: Mapped[str | None] = mapped_column(sa.Text())
    complement_adresse: Mapped[str | None] = mapped_column(sa.Text())
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    typologie: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    telephone: Mapped[str | None] = mapped_column(sa.Text())
    courriels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    site_web: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    horaires: Mapped[str | None] = mapped_column(sa.Text())
    presentation_resume: Mapped[str | None] = mapped_column(sa.Text())
    presentation_detail: Mapped[str | None] = mapped_column(sa.Text())
    source: Mapped[str | None] = mapped_column(sa.Text())
    itinerance: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    structure_parente: Mapped[str | None] = mapped_column(sa.Text())
    date_maj: Mapped[date] = mapped_column(sa.Date())
    services: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    publics_specifiquement_adresses: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    prise_en_charge_specifique: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    frais_a_charge: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    dispositif_programmes_nationaux: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    formations_labels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    autres_formations_labels: Mapped[str | None] = mapped_column(sa.Text())
    modalites_acces: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    modalites_accompagnement: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    fiche_acces_libre: Mapped[str | None] = mapped_column(sa.Text())
    prise_rdv: Mapped[str | None] = mapped_column(sa.Text())

    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    is_outside_territory: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    structure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("structures.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true(), index=True)
    import_format: Mapped[str | None] = mapped_column(sa.String(40))
    has_valid_hours: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Set when a manager edits or merges the help point: imports no longer overwrite it.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship()
    structure: Mapped[Structure | None] = relationship()
    counsellors: Mapped[list[User]] = relationship(secondary=help_point_counsellors)

    @property
    def is_mapped(self) -> bool:
        """True when the point has coordinates to draw on the map."""
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<HelpPoint {self.id}>"


class HelpPointDuplicate(Model):
    """Two help points that probably are the same place, for a manager to merge or dismiss.

    `reason` says why they were paired (same identifier in two sources, similar name and
    postcode, coordinates within 50 m, same address); `status` is `open`, `merged` or `dismissed`.
    Until merged, both stay in the open data (DESIGN.md section 6).
    """

    __tablename__ = "help_point_duplicates"
    __table_args__ = (
        sa.UniqueConstraint("help_point_id", "other_id", name="uq_help_point_duplicates_pair"),
        sa.CheckConstraint("help_point_id < other_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    help_point_id: Mapped[int] = mapped_column(sa.ForeignKey("help_points.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(sa.ForeignKey("help_points.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="open", server_default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    help_point: Mapped[HelpPoint] = relationship(foreign_keys=[help_point_id])
    other: Mapped[HelpPoint] = relationship(foreign_keys=[other_id])
