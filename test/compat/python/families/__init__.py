"""The action families beyond the instance lifecycle, through the official Python SDK: catalog,
projects (uaccount), pricing and billing, monitoring, ports, data disks, image sharing and the
community. Every action with a typed method is called through it (`client.ucompshare().xxx()`,
`client.uaccount().get_project_list()`); the actions the SDK lacks go through its generic
`invoke(action, params)`, the path the CompShare CLI uses.

Each family is a module of this package (projects, catalog, billing, monitor, disks, containers,
not_implemented), whose `run(s, sdk, other)` runs its checks; `run` below runs them all, in that
order. vm_images' checks run from scenario.py instead, while the scenario's VM image exists;
common holds what the families share.

Called by main.py with its Suite and clients; state is shared through `s.state`.
"""
from . import billing, bills, catalog, containers, disks, image_review, levels, logins, money, monitor, not_implemented, projects
from .vm_images import vm_image_not_publishable

__all__ = ["run", "vm_image_not_publishable"]


def run(s, sdk, other):
    for family in (projects, catalog, billing, monitor, disks, containers, image_review, logins, not_implemented, bills, money, levels):
        family.run(s, sdk, other)
