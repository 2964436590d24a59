"""The demo accounts of `make run`, and the text that tells a tester how to use them.

Plain data without Django, so the run supervisor (portal/core/devrun.py) can print it once the server is
listening, and ``seed_demo`` creates exactly these accounts. The parent and the child are the demo family
of ``portal/core/demo/registry.json`` (a test checks they agree)."""

DEMO_PARENT = {
    "name": "王𠈌",
    "id_number": "330411198803120318",
    "phone": "13800000001",
    "child_name": "王小𬌗",
    "child_id_number": "330411202103150531",
    "child_born": "2021-03-15",
    "other_guardian": "李䶮",
    "other_guardian_id_number": "330411199007080428",
}

# username, password, role (portal.accounts.models.Role value; None = superuser), label, real name, binding
STAFF = [
    ("admin", "Demo-admin-2027", None, "系统管理员", "系统管理员", {}),
    ("clerk", "Demo-clerk-2027", "clerk", "学校招生窗口", "张老师（实验小学招生窗口）", {"school": "P001"}),
    ("bureau", "Demo-bureau-2027", "bureau", "教育局", "陈科长（区教育局基教科）", {"district": "330411"}),
    (
        "reviewer",
        "Demo-review-2027",
        "reviewer",
        "联审部门",
        "刘工（区消防救援大队）",
        {"department": "FIRE"},
    ),
    ("auditor", "Demo-audit-2027", "auditor", "审计", "赵审计（区审计局）", {"district": "330411"}),
]


def accounts_text(base_url: str = "") -> str:
    """What a tester needs, in a few lines (``base_url`` like ``http://127.0.0.1:8000``, or "")."""
    p = DEMO_PARENT
    lines = [
        "Demo accounts",
        f"  parent     {p['name']}, sign in with phone {p['phone']} at {base_url}/accounts/login/",
        # no phone number in a URL (docs/adr/0019-phone-numbers.md): the sign-in page links the inbox
        f"             the one-time code is shown at {base_url}/sandbox/sms/ (enter the number there,",
        "             or follow the link on the sign-in page)",
        f"             child {p['child_name']} (born {p['child_born']}), ID number {p['child_id_number']}",
        f"             other guardian {p['other_guardian']}, ID number {p['other_guardian_id_number']}",
        "             (apply for a primary-school place, 2027, at /enrollment/apply/; we own our home)",
    ]
    for username, password, _role, label, real_name, _binding in STAFF:
        lines.append(f"  {username:<10} password {password:<18} {label} · {real_name}")
    lines.append(f"  staff sign in at {base_url}/accounts/staff-login/ or {base_url}/admin/")
    return "\n".join(lines)
