"""Typed methods of the SDK whose actions the server does not implement: each must answer 161,
Action [name] not found.
"""
from harness import ZONE, expect_error

from .common import NOT_FOUND


def run(s, sdk, other):
    def not_implemented():
        calls = [
            ("attach_us_33", "AttachUS3", {"Zone": ZONE, "UHostId": NOT_FOUND}),
            ("get_software_url", "GetSoftwareURL", {"Zone": ZONE, "UHostId": NOT_FOUND, "Software": "JupyterLab"}),
            ("copy_comp_share_custom_image", "CopyCompShareCustomImage", {"CompShareImageId": "compshareImage-nope"}),
            ("describe_model_repository_tags", "DescribeModelRepositoryTags", {"Zone": ZONE}),
            ("get_open_claw_model_list", "GetOpenClawModelList", {}),
        ]
        for method, action, req in calls:
            expect_error(lambda: sdk.typed(method, req), 161, message="Action [{}] not found".format(action), action=action)

    s.check(
        "Not implemented by the server (reported): AttachUS3, GetSoftwareURL, CopyCompShareCustomImage, DescribeModelRepositoryTags, GetOpenClawModelList answer 161",
        not_implemented,
    )
