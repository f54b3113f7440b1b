"""Each role's home page says what the role does here, and every link on it opens for them."""
import re

import pytest

ROLES = ("admin", "manager", "frontdesk", "reviewer", "supervisor", "platform", "org")


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_a_roles_home_page_opens_for_that_role(role, auth, client):
    auth.login(role)
    html = client.get("/").get_data(as_text=True)
    section = html[html.index('id="role-home"'):]
    section = section[:section.index("</section>")]
    links = set(re.findall(r'href="(/[^"]*)"', section))
    assert links, "the home page should point somewhere"
    for link in sorted(links):
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, (link, response.status_code)
