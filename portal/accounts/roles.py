"""Django-admin permissions per role, kept in one group per role.

Scope (which school's or district's cases) is not a permission: it is applied to every queryset by
portal.cases.scoping. These groups only say which admin screens a role may use and how."""

from django.contrib.auth.models import Group, Permission

from portal.accounts.models import Role

# app_label.codename — the kernel's own; an app adds its screens with register_role_permissions() from its
# AppConfig.ready(), never by editing this dictionary
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CLERK: {"cases.view_case", "cases.view_caseevent", "cases.view_attachment", "orgs.view_school"},
    Role.BUREAU: {
        "cases.view_case",
        "cases.view_caseevent",
        "cases.view_attachment",
        "cases.view_rating",
        "cases.view_rectificationtask",
        "cases.change_rectificationtask",
        "cases.view_calendarday",
        "cases.add_calendarday",
        "cases.change_calendarday",
        "cases.delete_calendarday",
        "catalog.view_serviceitem",
        "catalog.change_serviceitem",
        "catalog.add_serviceitem",
        "catalog.view_servicematerial",
        "catalog.change_servicematerial",
        "catalog.add_servicematerial",
        "catalog.delete_servicematerial",
        "catalog.view_servicestep",
        "catalog.change_servicestep",
        "catalog.add_servicestep",
        "catalog.delete_servicestep",
        "orgs.view_district",
        "orgs.view_community",
        "orgs.change_community",
        "orgs.add_community",
        "orgs.view_school",
        "orgs.change_school",
        "orgs.add_school",
        "orgs.view_schoolcapacity",
        "orgs.change_schoolcapacity",
        "orgs.add_schoolcapacity",
        "orgs.view_department",
        "accounts.view_full_id_number",
    },
    Role.REVIEWER: {"cases.view_case", "cases.view_caseevent", "cases.view_attachment"},
    Role.AUDITOR: {
        "cases.view_case",
        "cases.view_caseevent",
        "cases.view_rating",
        "cases.view_rectificationtask",
        "core.view_personaldataaccess",
        "catalog.view_serviceitem",
        "orgs.view_school",
    },
}


def register_role_permissions(permissions: dict[str, set[str] | list[str] | tuple[str, ...]]) -> None:
    """Give roles an app's admin permissions (``{"bureau": {"payments.view_order", …}}``); idempotent.
    Unknown roles are a programming error (``ValueError``)."""
    for role, perms in permissions.items():
        if role not in Role.values:
            raise ValueError(f"unknown role {role!r}; one of {sorted(Role.values)}")
        for dotted in perms:
            if dotted.count(".") != 1:
                raise ValueError(f"permission {dotted!r} is not app_label.codename")
        ROLE_PERMISSIONS.setdefault(role, set()).update(perms)


def group_name(role: str) -> str:
    return f"role:{role}"


def sync_role_groups(**kwargs) -> None:
    """Create or update one group per role with exactly its permissions (post_migrate)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:  # a permission of an app not migrated yet is added on a later migrate
                wanted.append(perm)
        group.permissions.set(wanted)


def assign_role_group(user) -> None:
    """Put a staff user in their role's group only (called after save)."""
    role_groups = Group.objects.filter(name__startswith="role:")
    user.groups.remove(*role_groups.exclude(name=group_name(user.role)))
    if user.role != Role.CITIZEN:
        group = Group.objects.filter(name=group_name(user.role)).first()
        if group is not None:
            user.groups.add(group)
