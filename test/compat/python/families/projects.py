"""Projects: UCloud's account service, typed (uaccount) and through the ucompshare client, as the
CompShare CLI sends it; an unknown ProjectId is ProjectNotExists (292).
"""
from harness import Env, Sdk, equal, expect, expect_error

from .common import is_int


def run(s, sdk, other):
    def projects():
        resp = sdk.typed("get_project_list", {}, service="uaccount")
        equal(resp["ProjectCount"], len(resp["ProjectSet"]), "ProjectCount")
        defaults = [p for p in resp["ProjectSet"] if p["IsDefault"] is True]
        equal(len(defaults), 1, "projects with IsDefault true (a JSON bool)")
        p = defaults[0]
        expect(p["ProjectId"].startswith("org-"), "ProjectId {!r}".format(p["ProjectId"]))
        expect(is_int(p["CreateTime"]) and is_int(p["MemberCount"]) and is_int(p["ResourceCount"]), "counts are ints: {}".format(p))
        s.state["project"] = p["ProjectId"]
        mine = other.typed("get_project_list", {"IsFinance": "No"}, service="uaccount")
        equal([x["ProjectId"] for x in mine["ProjectSet"] if x["IsDefault"]], [Env.other_project_id], "the other account's default project")
        # The CompShare CLI sends it through the ucompshare client, without parameters.
        raw = sdk.invoke("GetProjectList", {})
        equal([x["ProjectId"] for x in raw["ProjectSet"]], [x["ProjectId"] for x in resp["ProjectSet"]], "GetProjectList through invoke")

    def projects_errors():
        wrong = Sdk(project_id="org-doesnotexist")
        expect_error(lambda: wrong.typed("get_project_list", {}, service="uaccount"), 292, "ProjectNotExists", action="GetProjectList")

    s.check("GetProjectList (uaccount typed, and invoke): one default project, IsDefault a bool", projects)
    s.check("GetProjectList with an unknown ProjectId: ProjectNotExists (292)", projects_errors)
