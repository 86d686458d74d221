"""The territory: districts (quartiers of the city, communes of the agglomeration)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inclusion_app.extensions import Model
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
