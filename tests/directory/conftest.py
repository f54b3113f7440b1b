"""Directory fixtures: Beijing's regions and small workbook builders."""
import io

import pytest
from openpyxl import load_workbook

from center.models.directory import Region
from center.services import directory
from center.services.directory_exchange import ORGANIZATION_COLUMNS, PLATFORM_COLUMNS

ORG_HEADER = [c.label for c in ORGANIZATION_COLUMNS]
PLATFORM_HEADER = [c.label for c in PLATFORM_COLUMNS]


@pytest.fixture
def beijing(session):
    """The seeded region tree; `beijing["东城区"]` is a Region (names are unique in Beijing
    except across districts, so streets are looked up by code)."""
    directory.seed_beijing_regions(session)
    session.commit()

    class Regions:
        def __getitem__(self, key):
            column = Region.code if key.isdigit() else Region.name
            return session.query(Region).filter(column == key).one()
    return Regions()


def org_row(name, code, type_label="社会团体", level="市级", district=None, **extra):
    values = {"组织名称": name, "统一社会信用代码": code, "组织类型": type_label, "登记级别": level,
              "所在区": district}
    values.update(extra)
    return [values.get(label) for label in ORG_HEADER]


def read_back(data: bytes):
    """The first sheet of a downloaded workbook as openpyxl cells (not values)."""
    return list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
