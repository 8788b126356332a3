# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""Sign-in (st.login) and roles (data/rollen.csv) per page, with AppTest's simulated st.user (issue 13)."""

from __future__ import annotations

import pytest

from sto_metrics import roles
from sto_metrics.errors import UserError
from tests.dashboard_fixtures import DASHBOARD, navigation_pages_only, region_database  # noqa: F401 (fixtures)

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test", "client_id": "sto",
        "client_secret": "geheim", "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
ROLES = """wie,rol
anna@regio.nl,beheerder
@school.nl,lezer
piet@school.nl,school:31XB00
"""


@pytest.fixture
def roles_file(tmp_path, monkeypatch):
    path = tmp_path / "rollen.csv"
    path.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv(roles.ROLES_ENV, str(path))
    return path


@pytest.fixture
def dashboard(region_database, roles_file, monkeypatch):
    """dashboard(user, page=None, sign_in=True, state=None) -> an AppTest that has run as that user (None: not signed in),
    with `state` in its session state first (such as an opened expander)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STO_DB", str(region_database[0]))

    def run(email: str | None, page: str | None = None, *, sign_in: bool = True, state: dict | None = None):
        with navigation_pages_only():
            app = AppTest.from_file(str(DASHBOARD), default_timeout=300)
            if sign_in:
                app.secrets["auth"] = AUTH
            app.user = {"is_logged_in": email is not None, **({"email": email} if email else {})}
            for key, value in (state or {}).items():
                app.session_state[key] = value
            app.run()
            if page:
                app.switch_page(page).run()
        assert not app.exception, [e.value for e in app.exception]
        return app

    return run


def every_text(app) -> str:
    """Everything the page drew, as protobuf text (titles, Markdown, widgets, tables, charts)."""
    found = []

    def walk(node):
        found.append(str(getattr(node, "proto", "")))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return "\n".join(found)


def test_roles_file_exact_address_before_its_domain(roles_file):
    table = roles.read_roles(roles_file)
    assert roles.role_for("Anna@Regio.nl", table) == roles.Role("beheerder")
    assert roles.role_for("piet@school.nl", table) == roles.Role("school", "31XB00")
    assert roles.role_for("kees@school.nl", table) == roles.Role("lezer")
    assert roles.role_for("kees@elders.nl", table) is None
    assert roles.role_for(None, table) is None


def test_roles_file_with_a_wrong_role_names_its_line(tmp_path):
    path = tmp_path / "rollen.csv"
    path.write_text("wie,rol\nanna@regio.nl,baas\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"rollen\.csv, regel 2, kolom 2: 'baas' is geen rol"):
        roles.read_roles(path)


def test_not_signed_in_sees_only_the_sign_in_page(dashboard):
    app = dashboard(None)
    assert [t.value for t in app.title] == ["Sterk Techniekonderwijs"]
    assert app.button(key="inloggen").label == "Inloggen"
    assert not app.metric and not app.dataframe and not app.sidebar.multiselect
    drawn = every_text(app)
    assert "plotly" not in drawn.lower()
    assert "Zaanhuis" not in drawn and "31XA00" not in drawn  # no school name or code
    with pytest.raises(ValueError, match="Known pages: \\['Inloggen'\\]"):  # the router knows no other page
        dashboard(None, "pages/instroom.py")


def test_unknown_address_gets_no_access(dashboard):
    app = dashboard("kees@elders.nl")
    assert [t.value for t in app.title] == ["Geen toegang"]
    assert not app.metric and not app.dataframe and "Zaanhuis" not in every_text(app)
    assert app.button(key="uitloggen_geen_toegang").label == "Uitloggen"


def test_reader_sees_figures_but_not_the_data_page_or_editing(dashboard):
    app = dashboard("kees@school.nl")
    assert app.title[0].value == "Overzicht" and app.metric  # figures
    assert "Ingelogd als kees@school\\.nl (lezer)." in [c.value for c in app.sidebar.caption]
    assert app.sidebar.button(key="uitloggen")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in the reader's menu, nor reachable
        dashboard("kees@school.nl", "pages/data.py")
    ambitions = dashboard("kees@school.nl", "pages/ambities.py", state={"ambities_bewerken": True})  # even asking to open it
    assert not [b for b in ambitions.button if b.key == "ambities_save"] and not ambitions.data_editor
    assert "Ambities bewerken" not in [e.label for e in ambitions.expander]


def test_manager_may_load_and_edit(dashboard):
    data = dashboard("anna@regio.nl", "pages/data.py")
    assert data.title[0].value == "Data" and data.button(key="data_load")
    ambitions = dashboard("anna@regio.nl", "pages/ambities.py")
    assert "Ambities bewerken" in [e.label for e in ambitions.expander]
    ambitions = dashboard("anna@regio.nl", "pages/ambities.py", state={"ambities_bewerken": True})  # the editor, once opened
    assert ambitions.button(key="ambities_save") and ambitions.data_editor


def test_school_coordinator_starts_at_their_own_school(dashboard):
    app = dashboard("piet@school.nl", "pages/mijn_school.py")
    assert app.selectbox(key="school").value == "31XB00"
    assert "Techniekcollege Wormerveer (31XB00)" in app.subheader[0].value.replace("\\", "")


def test_without_auth_the_app_runs_for_one_local_user_and_says_sign_in_is_off(dashboard):
    app = dashboard(None, "pages/data.py", sign_in=False)
    assert app.title[0].value == "Data" and app.button(key="data_load")
    assert any(w.value.startswith("Inloggen staat uit") for w in app.sidebar.warning)


def test_a_broken_roles_file_lets_nobody_in_and_names_the_line(dashboard, roles_file):
    roles_file.write_text("wie,rol\nanna@regio.nl,baas\n", encoding="utf-8")
    app = dashboard("anna@regio.nl")
    assert [e.value for e in app.error] == ["rollen.csv, regel 2, kolom 2: 'baas' is geen rol; kies beheerder, lezer of school:VESTIGINGSCODE."]
    assert not app.metric and not app.dataframe and not app.title
