"""An API client that sends a bearer token for a user of a given role."""
import pytest

from center.services import accounts
from tests.api.venue_helpers import make_venue, workday
from tests.factories import make_organization, make_user


class ApiClient:
    def __init__(self, client, session):
        self.client = client
        self.session = session
        self.token = None
        self.user = None

    def login(self, role="admin", **user_fields):
        """Create a user of this role and a token for it; later requests send the token."""
        self.user = make_user(self.session, role=role, **user_fields)
        self.token = accounts.issue_token(self.session, self.user)
        self.session.commit()
        return self.user

    def _headers(self, headers):
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**sent, **(headers or {})}

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, headers=None, **kwargs):
        return self.client.post(url, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api(client, session):
    return ApiClient(client, session)


def error_of(response) -> dict:
    """The {"code", "message", "fields"} part of an error answer (which must be JSON)."""
    assert response.is_json, response.get_data(as_text=True)[:300]
    return response.get_json()["error"]


@pytest.fixture
def venue(session):
    return make_venue(session)


@pytest.fixture
def org(session):
    return make_organization(session, name="北京协作者社会工作发展中心")


@pytest.fixture
def day(session):
    return workday(session, 14)
