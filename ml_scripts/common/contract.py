"""The data contract of the raw house-sales file, declared in one place.

Everything that checks, cleans or documents the raw columns reads this module: the processing
step, the inference input parser and the tests. The columns and their order follow
`data/house_data.csv` (the Ames data set with its original column names).

Missing values: a cell is missing when it is empty or holds one of `MISSING_TOKENS`. What a
missing cell means is declared per column:

- ``forbidden``: the row is quarantined (the target, and a few facts every sale must have);
- ``unknown``: the value is not known; it stays NaN and the model handles it;
- ``none``: the house has none of it (no pool, no alley access, ...). When ``none_if_absent``
  names an indicator column, the cell means "none" only when that indicator shows the feature is
  absent (a zero area or count, or an empty category); otherwise it means "unknown".

Why not a schema library (pandera, pydantic): this module and the checks built on it run inside
the SageMaker containers, which have neither, and the jobs run with network isolation, so
nothing can be installed at start. The tests build a pandera schema from this contract and check
that it accepts what processing keeps (tests/unit/ml_scripts/test_ml_contract.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "target", "numeric", "integer", "nominal", "ordinal"]
MissingPolicy = Literal["forbidden", "unknown", "none"]

CONTRACT_VERSION = 1
TARGET = "SalePrice"
DELIMITER = ","
ENCODING = "utf-8"
MISSING_TOKENS: tuple[str, ...] = ("", "NA")
NONE_CATEGORY = "None"

# Plausible ranges: a finite value outside its column's range is quarantined with the value and
# the range. The embedded data (2,637 Ames sales of 2006-2010) sits well inside every range;
# the README's data contract lists them beside the data's own extremes.
#
# Sale price in US dollars. The data spans $12,789 to $755,000; the bounds lie a factor of about
# 13 beyond on each side (about 2.6 either way in log price, the scale the model learns), so a
# price typed in thousands ("215" for $215,000), with extra zeros, or absurd (1e300, 1e-300) is
# quarantined while a real sale, a bargain or a mansion, is not.
PRICE_MIN = 1_000.0
PRICE_MAX = 10_000_000.0
# Areas in square feet. Building areas (floors, basement, living area, garage, porches, deck,
# veneer, pool) reach 6,110 in the data: 50,000 is beyond any single-family house. Lots reach
# 215,245 (about 5 acres): 5,000,000 (about 115 acres) leaves room for farmsteads. Street
# frontage reaches 313 feet.
AREA_MAX = 50_000.0
LOT_AREA_MAX = 5_000_000.0
LOT_FRONTAGE_MAX = 5_000.0
# Value of a miscellaneous feature (shed, tennis court, elevator) in dollars: at most 17,000 in
# the data; no feature is worth more than the houses the price range allows.
MISC_VALUE_MAX = 1_000_000.0
# Counts of rooms, baths, kitchens, fireplaces and garage places reach 8 in the data; rooms above
# grade reach 15.
COUNT_MAX = 20.0
ROOMS_MAX = 50.0
# Year bounds wide enough for any real sale, narrow enough to catch typos such as 2207.
YEAR_MIN = 1800.0
YEAR_MAX = 2100.0

QUALITY_SCALE: tuple[str, ...] = ("Po", "Fa", "TA", "Gd", "Ex")
EXPOSURE_SCALE: tuple[str, ...] = ("No", "Mn", "Av", "Gd")
FINISH_TYPE_SCALE: tuple[str, ...] = ("Unf", "LwQ", "Rec", "BLQ", "ALQ", "GLQ")
GARAGE_FINISH_SCALE: tuple[str, ...] = ("Unf", "RFn", "Fin")
FUNCTIONAL_SCALE: tuple[str, ...] = ("Sal", "Sev", "Maj2", "Maj1", "Mod", "Min2", "Min1", "Typ")
PAVED_SCALE: tuple[str, ...] = ("N", "P", "Y")
LOT_SHAPE_SCALE: tuple[str, ...] = ("IR3", "IR2", "IR1", "Reg")
LAND_SLOPE_SCALE: tuple[str, ...] = ("Sev", "Mod", "Gtl")
UTILITIES_SCALE: tuple[str, ...] = ("ELO", "NoSeWa", "NoSewr", "AllPub")
YES_NO_SCALE: tuple[str, ...] = ("N", "Y")


@dataclass(frozen=True)
class ColumnSpec:
    """One raw column: its type, allowed range and what an empty cell means."""

    name: str
    kind: ColumnKind
    missing: MissingPolicy = "unknown"
    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    none_if_absent: str | None = None
    scale: tuple[str, ...] = ()
    none_number: float = 0.0
    # Text codes that look like numbers ("20", "60"): always read as text, never inferred.
    numeric_looking: bool = False
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        """True for columns parsed as numbers (target included, identifiers excluded)."""
        return self.kind in ("numeric", "integer", "target")

    @property
    def is_categorical(self) -> bool:
        """True for text columns (nominal or ordinal)."""
        return self.kind in ("nominal", "ordinal")

    @property
    def none_value(self) -> float | str:
        """The value a "none" cell becomes: the `None` category, 0 for amounts, NaN for years."""
        return NONE_CATEGORY if self.is_categorical else self.none_number


@dataclass(frozen=True)
class TrainingExclusion:
    """Rows left out of model fitting (never out of validation or test data)."""

    column: str
    above: float
    reason: str


def _area(
    name: str,
    missing: MissingPolicy = "unknown",
    none_if_absent: str | None = None,
    *,
    minimum_exclusive: bool = False,
    maximum: float = AREA_MAX,
) -> ColumnSpec:
    return ColumnSpec(
        name,
        "numeric",
        missing=missing,
        minimum=0.0,
        minimum_exclusive=minimum_exclusive,
        maximum=maximum,
        none_if_absent=none_if_absent,
    )


def _count(
    name: str,
    missing: MissingPolicy = "unknown",
    none_if_absent: str | None = None,
    *,
    maximum: float = COUNT_MAX,
) -> ColumnSpec:
    return ColumnSpec(
        name,
        "integer",
        missing=missing,
        minimum=0.0,
        maximum=maximum,
        none_if_absent=none_if_absent,
    )


def _year(
    name: str, missing: MissingPolicy = "unknown", none_if_absent: str | None = None
) -> ColumnSpec:
    # A year cannot be "none": a house without a garage has no garage year, so it stays NaN.
    return ColumnSpec(
        name,
        "integer",
        missing=missing,
        minimum=YEAR_MIN,
        maximum=YEAR_MAX,
        none_if_absent=none_if_absent,
        none_number=float("nan"),
    )


def _nominal(
    name: str,
    missing: MissingPolicy = "unknown",
    none_if_absent: str | None = None,
    description: str = "",
    *,
    numeric_looking: bool = False,
) -> ColumnSpec:
    return ColumnSpec(
        name,
        "nominal",
        missing=missing,
        none_if_absent=none_if_absent,
        numeric_looking=numeric_looking,
        description=description,
    )


def _ordinal(
    name: str,
    scale: tuple[str, ...],
    missing: MissingPolicy = "unknown",
    none_if_absent: str | None = None,
) -> ColumnSpec:
    return ColumnSpec(name, "ordinal", missing=missing, none_if_absent=none_if_absent, scale=scale)


# Indicator columns for "none" semantics. Numeric columns only use categorical indicators and
# categorical columns only numeric ones, so the rules never depend on each other in a cycle.
_BSMT = "Total Bsmt SF"
_GARAGE = "Garage Area"

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Order", "id", description="observation number (not a feature)"),
    ColumnSpec("PID", "id", description="parcel identification number (not a feature)"),
    _nominal(
        "MS SubClass", missing="forbidden", description="dwelling type code", numeric_looking=True
    ),
    _nominal("MS Zoning"),
    _area("Lot Frontage", maximum=LOT_FRONTAGE_MAX),
    _area("Lot Area", missing="forbidden", minimum_exclusive=True, maximum=LOT_AREA_MAX),
    _nominal("Street"),
    _nominal("Alley", missing="none"),
    _ordinal("Lot Shape", LOT_SHAPE_SCALE),
    _nominal("Land Contour"),
    _ordinal("Utilities", UTILITIES_SCALE),
    _nominal("Lot Config"),
    _ordinal("Land Slope", LAND_SLOPE_SCALE),
    _nominal("Neighborhood", missing="forbidden"),
    _nominal("Condition 1"),
    _nominal("Condition 2"),
    _nominal("Bldg Type"),
    _nominal("House Style"),
    ColumnSpec("Overall Qual", "integer", missing="forbidden", minimum=1.0, maximum=10.0),
    ColumnSpec("Overall Cond", "integer", minimum=1.0, maximum=10.0),
    _year("Year Built", missing="forbidden"),
    _year("Year Remod/Add"),
    _nominal("Roof Style"),
    _nominal("Roof Matl"),
    _nominal("Exterior 1st"),
    _nominal("Exterior 2nd"),
    _nominal("Mas Vnr Type", description="'None' is a real value: no veneer"),
    _area("Mas Vnr Area"),
    _ordinal("Exter Qual", QUALITY_SCALE),
    _ordinal("Exter Cond", QUALITY_SCALE),
    _nominal("Foundation"),
    _ordinal("Bsmt Qual", QUALITY_SCALE, missing="none", none_if_absent=_BSMT),
    _ordinal("Bsmt Cond", QUALITY_SCALE, missing="none", none_if_absent=_BSMT),
    _ordinal("Bsmt Exposure", EXPOSURE_SCALE, missing="none", none_if_absent=_BSMT),
    _ordinal("BsmtFin Type 1", FINISH_TYPE_SCALE, missing="none", none_if_absent=_BSMT),
    _area("BsmtFin SF 1", missing="none", none_if_absent="Bsmt Qual"),
    _ordinal("BsmtFin Type 2", FINISH_TYPE_SCALE, missing="none", none_if_absent=_BSMT),
    _area("BsmtFin SF 2", missing="none", none_if_absent="Bsmt Qual"),
    _area("Bsmt Unf SF", missing="none", none_if_absent="Bsmt Qual"),
    _area(_BSMT, missing="none", none_if_absent="Bsmt Qual"),
    _nominal("Heating"),
    _ordinal("Heating QC", QUALITY_SCALE),
    _ordinal("Central Air", YES_NO_SCALE),
    _nominal("Electrical"),
    _area("1st Flr SF", missing="forbidden"),
    _area("2nd Flr SF"),
    _area("Low Qual Fin SF"),
    _area("Gr Liv Area", missing="forbidden", minimum_exclusive=True),
    _count("Bsmt Full Bath", missing="none", none_if_absent="Bsmt Qual"),
    _count("Bsmt Half Bath", missing="none", none_if_absent="Bsmt Qual"),
    _count("Full Bath"),
    _count("Half Bath"),
    _count("Bedroom AbvGr"),
    _count("Kitchen AbvGr"),
    _ordinal("Kitchen Qual", QUALITY_SCALE),
    _count("TotRms AbvGrd", maximum=ROOMS_MAX),
    _ordinal("Functional", FUNCTIONAL_SCALE),
    _count("Fireplaces"),
    _ordinal("Fireplace Qu", QUALITY_SCALE, missing="none", none_if_absent="Fireplaces"),
    _nominal("Garage Type", missing="none", none_if_absent=_GARAGE),
    _year("Garage Yr Blt", missing="none", none_if_absent="Garage Type"),
    _ordinal("Garage Finish", GARAGE_FINISH_SCALE, missing="none", none_if_absent=_GARAGE),
    _count("Garage Cars", missing="none", none_if_absent="Garage Type"),
    _area(_GARAGE, missing="none", none_if_absent="Garage Type"),
    _ordinal("Garage Qual", QUALITY_SCALE, missing="none", none_if_absent=_GARAGE),
    _ordinal("Garage Cond", QUALITY_SCALE, missing="none", none_if_absent=_GARAGE),
    _ordinal("Paved Drive", PAVED_SCALE),
    _area("Wood Deck SF"),
    _area("Open Porch SF"),
    _area("Enclosed Porch"),
    _area("3Ssn Porch"),
    _area("Screen Porch"),
    _area("Pool Area"),
    _ordinal("Pool QC", QUALITY_SCALE, missing="none", none_if_absent="Pool Area"),
    _nominal("Fence", missing="none"),
    _nominal("Misc Feature", missing="none"),
    _area("Misc Val", maximum=MISC_VALUE_MAX),
    ColumnSpec("Mo Sold", "integer", minimum=1.0, maximum=12.0),
    ColumnSpec("Yr Sold", "integer", missing="forbidden", minimum=1900.0, maximum=YEAR_MAX),
    _nominal("Sale Type"),
    _nominal("Sale Condition"),
    ColumnSpec(
        TARGET,
        "target",
        missing="forbidden",
        minimum=PRICE_MIN,
        maximum=PRICE_MAX,
        description="sale price in US dollars",
    ),
)

BY_NAME: dict[str, ColumnSpec] = {spec.name: spec for spec in COLUMNS}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(spec.name for spec in COLUMNS)
ID_COLUMNS: tuple[str, ...] = tuple(s.name for s in COLUMNS if s.kind == "id")
FEATURE_COLUMNS: tuple[str, ...] = tuple(s.name for s in COLUMNS if s.kind not in ("id", "target"))
# Columns a training file must have; inference input needs the same minus the target.
REQUIRED_COLUMNS: tuple[str, ...] = (*FEATURE_COLUMNS, TARGET)
NUMERIC_COLUMNS: tuple[str, ...] = tuple(s.name for s in COLUMNS if s.is_numeric)
CATEGORICAL_COLUMNS: tuple[str, ...] = tuple(s.name for s in COLUMNS if s.is_categorical)
# Columns written to the clean splits (identifiers are not needed downstream).
CLEAN_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS

TRAINING_EXCLUSIONS: tuple[TrainingExclusion, ...] = (
    TrainingExclusion(
        column="Gr Liv Area",
        above=4000.0,
        reason="the data set's author recommends removing the few very large (partial) sales",
    ),
)


def required_columns(*, with_target: bool) -> tuple[str, ...]:
    """Columns an input must contain: all features, plus the target for training data."""
    return REQUIRED_COLUMNS if with_target else FEATURE_COLUMNS
