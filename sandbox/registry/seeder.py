"""``seed_registries``: a synthetic population that is consistent across every registry.

Deterministic: everything is drawn from one ``random.Random(seed)`` in a fixed order, and dates are
relative to ``year`` (the entry year), never to today, so the same arguments give the same rows (a digest
test checks it). Families cover what enrollment and aid must handle:

- 1–3 children, twins included; grandparents on the same 户口簿 or heading it;
- owned homes (jointly or by one parent; some under the 18 m² per member rule; some families with a second
  property, so no sole-residence proof), families with 户籍 in the zone but no home (有户无房), owners whose
  户籍 is elsewhere (有房无户), migrants with 居住证, a registered lease and 社保, and others;
- married, divorced (the other parent in a household of their own) and single parents; married guardians on
  different 户口簿 (the father still on his parents' booklet);
- names with rare characters outside the BMP (𠈌 𬌗) and in extension A (䶮), and minority names with ·;
- 学籍 for school-age children, 低保/特困/低边, disability, degrees and a few enterprises.

Records have the shape of the fixture format, so ``generate`` can also write a fixture file.
"""

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from portal.core.idcodes import id_check_char
from sandbox.registry.spec import rows
from sandbox.registry.writer import BulkWriter, empty_registries

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严禤亓"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "慕容", "东方")
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂浩宇轩子涵梓欣怡然一诺思雨泽晨博文嘉佳琪俊睿瑞辰沐安若妍"
RARE = ("𠈌", "䶮", "𬌗", "喆", "堃", "淼", "犇", "玥", "珺", "龑", "昇", "𬍛")
MINORITY_GIVEN = (
    "阿依古丽", "买买提", "艾力", "古丽娜扎", "热合曼", "努尔艾力", "吐尔逊", "扎西", "多吉", "卓玛",
    "巴特尔", "其木格", "阿不都", "帕提古丽",
)  # fmt: skip
ORIGINS = (  # other provinces' areas that migrant families come from
    ("411523", "河南省信阳市新县"),
    ("513701", "四川省巴中市巴州区"),
    ("362426", "江西省吉安市泰和县"),
    ("432524", "湖南省娄底市新化县"),
    ("522422", "贵州省毕节市大方县"),
    ("342422", "安徽省六安市寿县"),
    ("452123", "广西壮族自治区南宁市宾阳县"),
    ("612425", "陕西省安康市紫阳县"),
)
STREETS = ("新城路", "秀园路", "洪兴路", "康和路", "中山西路", "永红路", "东升路", "油车港路")
INSTITUTIONS = (
    ("10335", "浙江大学"),
    ("10345", "浙江师范大学"),
    ("10354", "嘉兴学院"),
    ("10346", "杭州师范大学"),
    ("10384", "厦门大学"),
)
DEGREES = (("bachelor", 6), ("master", 2), ("doctor", 1), ("associate", 2))
MAJORS = (
    "汉语言文学",
    "数学与应用数学",
    "英语",
    "教育学",
    "学前教育",
    "计算机科学与技术",
    "会计学",
    "临床医学",
)
CITY = "嘉兴市"
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(body17: str) -> str:
    """Append the GB 32100-2015 check character to 17 code characters."""
    total = sum(_CREDIT_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(body17))
    return body17 + _CREDIT_CHARS[(31 - total % 31) % 31]


@dataclass
class _Member:
    record: dict
    role: str  # father, mother, child, grandfather, grandmother

    @property
    def id(self) -> str:
        return self.record["id_number"]


@dataclass
class Generator:
    households: int
    seed: int
    communities: list[str]
    area: str = "330411"
    year: int = 2026
    rng: random.Random = field(init=False)
    _seq: dict = field(init=False, default_factory=dict)
    _n: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        if not self.communities:
            raise ValueError("at least one community code is needed")
        self.rng = random.Random(self.seed)
        draw = self.rng.random  # one draw per decision; randint/choice cost ten times more per call

        self.ri = lambda low, high: low + int(draw() * (high - low + 1))
        self.pick = lambda seq: seq[int(draw() * len(seq))]
        self.today = date(self.year, 6, 1)

    def weighted(self, population, weights):
        x = self.rng.random() * sum(weights)
        for item, weight in zip(population, weights, strict=True):
            x -= weight
            if x < 0:
                return item
        return population[-1]

    # --- identifiers -------------------------------------------------------------------------------

    def _next(self, counter: str) -> int:
        self._n[counter] = self._n.get(counter, 0) + 1
        return self._n[counter]

    def id_number(self, area: str, born: date, gender: str) -> str:
        """A valid, unused ID number: sequence odd for men, even for women (GB 11643-1999)."""
        key = (area, born)
        seq = self._seq.get(key, (-1, 0))
        if gender == "M":
            nxt = seq[0] + 2
            self._seq[key] = (nxt, seq[1])
        else:
            nxt = seq[1] + 2
            self._seq[key] = (seq[0], nxt)
        if nxt > 999:  # a thousand people born the same day in one area: use a neighbouring area code
            return self.id_number(f"{int(area) + 1:06d}", born, gender)
        first17 = f"{area}{born.year:04d}{born.month:02d}{born.day:02d}{nxt:03d}"
        return first17 + id_check_char(first17)

    def phone(self) -> str:
        return f"170{self._next('phone'):08d}"

    def birth_date(self, age: int) -> date:
        """A birthday on which the person is ``age`` years old on 1 June of ``year``."""
        return self.today - timedelta(days=int(age * 365.25) + self.ri(1, 364))

    def name(self, surname: str, *, minority_father: str | None = None, minority: bool = False) -> str:
        rng = self.rng
        if minority:
            own = self.pick(MINORITY_GIVEN)
            return f"{own}·{minority_father or self.pick(MINORITY_GIVEN)}"
        given = "".join(self.pick(GIVEN) for _ in range(self.pick((1, 2, 2))))
        if rng.random() < 0.03:
            given = given[:-1] + self.pick(RARE)
        return surname + given

    def surname(self) -> str:
        if self.rng.random() < 0.01:
            return self.pick(COMPOUND_SURNAMES)
        return self.pick(SURNAMES)

    def address(self) -> str:
        street, number = self.pick(STREETS), self.ri(1, 999)
        return f"{CITY}秀洲区{street}{number}号{self.ri(1, 30)}幢{self.ri(101, 2604)}室"

    def household_no(self) -> str:
        return f"S{self._next('household'):08d}"

    def property_cert(self, registered: date) -> str:
        return f"浙({registered.year}){CITY}不动产权第{self._next('property'):07d}号"

    # --- one family ----------------------------------------------------------------------------------

    def person(self, *, name: str, born: date, gender: str, area: str, with_phone: bool) -> dict:
        return {
            "id_number": self.id_number(area, born, gender),
            "name": name,
            "gender": gender,
            "birth_date": born.isoformat(),
            "phone": self.phone() if with_phone else None,
            "hukou": None,
        }

    def book(self, members: list[tuple[dict, str]], *, community: str, address: str, moved_in: date) -> None:
        """Put ``members`` (record, relation) on one new 户口簿."""
        household_no = self.household_no()
        for record, relation in members:
            born = date.fromisoformat(record["birth_date"])
            record["hukou"] = {
                "household_no": household_no,
                "address": address,
                "community_code": community,
                "move_in_date": max(moved_in, born).isoformat(),
                "relation": relation,
            }

    def family(self) -> Iterator[tuple[str, dict]]:
        rng, year = self.rng, self.year
        zone_index = self.ri(0, len(self.communities) - 1)
        community = self.communities[zone_index]
        kind = self.weighted(
            ("owner", "no_home", "owner_elsewhere", "migrant", "migrant_no_lease", "other"),
            (38, 12, 12, 28, 5, 5),
        )
        marital = self.weighted(("married", "divorced", "single"), (83, 12, 5))
        separate_books = marital == "married" and rng.random() < 0.1
        minority = rng.random() < 0.015
        origin_area, origin_name = ORIGINS[self.ri(0, len(ORIGINS) - 1)]
        migrant = kind in ("migrant", "migrant_no_lease")
        id_area = origin_area if migrant else self.area

        # guardians: both parents are guardians unless single; the children live with the mother if divorced
        mother_age = self.ri(27, 44)
        father_age = mother_age + self.ri(-2, 6)
        surname = self.surname()
        father_name = self.name(surname, minority=minority)
        father = self.person(
            name=father_name, born=self.birth_date(father_age), gender="M", area=id_area, with_phone=True
        )
        mother = self.person(
            name=self.name(self.surname(), minority=minority),
            born=self.birth_date(mother_age),
            gender="F",
            area=id_area,
            with_phone=rng.random() < 0.9,
        )
        guardians = [father, mother] if marital != "single" else [mother]
        at_home = [father, mother] if marital == "married" else [mother]

        children, eldest_age = self.children(
            mother_age=mother_age,
            surname=surname if marital != "single" else mother["name"][0],
            area=id_area,
            minority_father=father_name.split("·")[0] if minority else None,
        )
        grandparents = []
        if kind == "no_home" or (not migrant and rng.random() < 0.4):
            gp_age = father_age + self.ri(22, 32)
            grandparents.append(
                self.person(
                    name=self.name(surname),
                    born=self.birth_date(gp_age),
                    gender="M",
                    area=self.area,
                    with_phone=rng.random() < 0.5,
                )
            )
            if rng.random() < 0.75:
                grandparents.append(
                    self.person(
                        name=self.name(self.surname()),
                        born=self.birth_date(gp_age - self.ri(0, 4)),
                        gender="F",
                        area=self.area,
                        with_phone=False,
                    )
                )

        # homes: the family's own title(s), or the grandparents' home for 有户无房
        home_address = self.address()
        properties: list[dict] = []
        if kind in ("owner", "owner_elsewhere", "no_home"):
            if kind == "no_home":
                owners = [g["id_number"] for g in grandparents]
            elif len(at_home) == 2:
                owners = self.weighted(
                    (
                        [father["id_number"], mother["id_number"]],
                        [father["id_number"]],
                        [mother["id_number"]],
                    ),
                    (60, 25, 15),
                )
            else:
                owners = [mother["id_number"]]
            members = len(at_home) + len(children) + len(grandparents)
            small = rng.random() < 0.15  # under the 18 m² per member rule
            area_m2 = round(rng.uniform(28, 18 * members - 1) if small else rng.uniform(60, 160), 2)
            properties.append(self.title(owners, home_address, community, area_m2, use="residential"))
            if kind != "no_home" and rng.random() < 0.1:  # a second title: no sole-residence proof
                other = self.communities[self.ri(0, len(self.communities) - 1)]
                use = "residential" if rng.random() < 0.7 else "commercial"
                properties.append(
                    self.title(owners, self.address(), other, round(rng.uniform(40, 140), 2), use=use)
                )
        moved_in = (
            date.fromisoformat(properties[0]["registered_date"])
            if properties
            else date(self.ri(2000, year - 1), self.ri(1, 12), self.ri(1, 28))
        )

        # 户口簿: where the family's 户籍 is
        if migrant:
            book_community = f"{origin_area}{self.ri(1, 40):03d}"
            book_address = f"{origin_name}{self.pick('东南西北')}村{self.ri(1, 12)}组"
        elif kind in ("owner_elsewhere", "other"):  # 户籍 in the city, outside these zones
            book_community = self.elsewhere()
            book_address = self.address()
        else:
            book_community, book_address = community, home_address
        elders = (
            [(grandparents[0], "head")] + [(g, "spouse") for g in grandparents[1:]] if grandparents else []
        )
        if separate_books:  # the father is still on his parents' booklet
            if kind == "no_home":
                fathers_community, fathers_address = book_community, book_address
            elif migrant:
                fathers_community = f"{origin_area}{self.ri(41, 80):03d}"
                fathers_address = f"{origin_name}{self.pick('东南西北')}村{self.ri(13, 24)}组"
            else:
                fathers_community, fathers_address = self.elsewhere(), self.address()
            self.book(
                elders + [(father, "child")],
                community=fathers_community,
                address=fathers_address,
                moved_in=date.fromisoformat(father["birth_date"]),
            )
            self.book(
                [(mother, "head")] + [(c, "child") for c in children],
                community=book_community,
                address=book_address,
                moved_in=moved_in,
            )
        elif kind == "no_home":  # the grandparents head the booklet
            self.book(
                elders
                + [(at_home[0], "child")]
                + [(g, "other") for g in at_home[1:]]
                + [(c, "grandchild") for c in children],
                community=book_community,
                address=book_address,
                moved_in=moved_in,
            )
        else:
            head, *rest = at_home if rng.random() < 0.7 else list(reversed(at_home))
            self.book(
                [(head, "head")]
                + [(g, "spouse") for g in rest]
                + [(c, "child") for c in children]
                + [(g, "parent") for g in grandparents],
                community=book_community,
                address=book_address,
                moved_in=moved_in,
            )
        if marital == "divorced":  # the father has a booklet of his own
            self.book(
                [(father, "head")],
                community=self.communities[self.ri(0, len(self.communities) - 1)],
                address=self.address(),
                moved_in=date(self.ri(2012, year - 1), 3, 1),
            )
        people = guardians + children + grandparents
        for p in people:
            yield "persons", p
        for p in properties:
            yield "properties", p

        if marital != "single":
            wed = date(
                year - eldest_age - self.ri(1, 4),
                self.ri(1, 12),
                self.ri(1, 28),
            )
            yield (
                "marriages",
                {
                    "cert_no": f"J{self.area}-{wed.year}-{self._next('marriage'):07d}",
                    "party_ids": [father["id_number"], mother["id_number"]],
                    "date": wed.isoformat(),
                    "status": marital,
                },
            )
        for child in children:
            yield (
                "births",
                {
                    "cert_no": f"Q{self._next('birth'):09d}",
                    "child_id": child["id_number"],
                    "mother_id": mother["id_number"],
                    "father_id": father["id_number"] if marital != "single" else None,
                },
            )

        if migrant:
            for g in at_home:
                issued = date(year - self.ri(0, 8), self.ri(1, 12), self.ri(1, 28))
                expired = rng.random() < 0.1
                valid = date(year - 1 if expired else year + self.ri(0, 1), issued.month, issued.day)
                yield (
                    "residence_permits",
                    {
                        "id_number": g["id_number"],
                        "community_code": community,
                        "address": home_address,
                        "issued_date": issued.isoformat(),
                        "valid_until": max(valid, issued).isoformat(),
                    },
                )
            if kind == "migrant":
                start = date(year - self.ri(0, 3), self.ri(1, 12), 1)
                yield (
                    "leases",
                    {
                        "lease_no": f"ZL{self.area}{start.year}{self._next('lease'):07d}",
                        "tenant_ids": [g["id_number"] for g in at_home],
                        "community_code": community,
                        "address": home_address,
                        "start_date": start.isoformat(),
                        "end_date": date(start.year + self.ri(1, 3), start.month, 1).isoformat(),
                    },
                )
        for g in guardians:
            if migrant or rng.random() < 0.7:
                months = self.ri(3, 120)
                first = date(year, 5, 1) - timedelta(days=30 * months)
                yield (
                    "social_insurance",
                    {
                        "id_number": g["id_number"],
                        "city": CITY,
                        "first_month": f"{first:%Y-%m}",
                        "months_paid": months,
                    },
                )

        yield from self.student_records(children, school=f"S{zone_index + 1:04d}")

        if rng.random() < 0.03:
            scheme = self.pick(("dibao", "dibao", "dibian"))
            for p in at_home + children:
                yield (
                    "welfare",
                    {"id_number": p["id_number"], "type": scheme, "valid_until": f"{year + 1}-12-31"},
                )
        for g in grandparents:
            if rng.random() < 0.01:
                yield (
                    "welfare",
                    {"id_number": g["id_number"], "type": "tekun", "valid_until": f"{year + 1}-12-31"},
                )
        for p in people:
            if rng.random() < 0.01:
                yield "disabilities", {"id_number": p["id_number"], "level": self.ri(1, 4)}
        for g in guardians:
            if rng.random() < 0.45:
                code, institution = INSTITUTIONS[self.ri(0, len(INSTITUTIONS) - 1)]
                degree = self.weighted([d for d, _ in DEGREES], [w for _, w in DEGREES])
                graduated = int(g["birth_date"][:4]) + self.ri(22, 27)
                yield (
                    "degrees",
                    {
                        "id_number": g["id_number"],
                        "degree": degree,
                        "major": self.pick(MAJORS),
                        "institution": institution,
                        "cert_no": f"{code}{graduated}{self._next('degree'):09d}",
                        "year": graduated,
                    },
                )
        if rng.random() < 0.02:
            yield (
                "enterprises",
                {
                    "credit_code": credit_code(f"91{self.area}MA{self._next('enterprise'):07d}"),
                    "name": f"{CITY}{father_name.replace('·', '')}教育咨询有限公司",
                    "legal_rep_id": guardians[0]["id_number"],
                    "status": "active" if rng.random() < 0.9 else "revoked",
                    "address": home_address,
                },
            )

    def children(
        self, *, mother_age: int, surname: str, area: str, minority_father: str | None
    ) -> tuple[list[dict], int]:
        """1–3 children, the eldest 0–15 years old; a second child born the same day is a twin."""
        rng = self.rng
        n = self.weighted((1, 2, 3), (55, 35, 10))
        age = eldest = self.ri(0, min(15, mother_age - 22))
        out: list[dict] = []
        for i in range(n):
            twin = i > 0 and rng.random() < 0.08
            if not twin and i > 0:
                age = max(age - self.ri(1, 4), 0)
            born = date.fromisoformat(out[-1]["birth_date"]) if twin else self.birth_date(age)
            child = self.person(
                name=self.name(
                    surname, minority=minority_father is not None, minority_father=minority_father
                ),
                born=born,
                gender=self.pick("MF"),
                area=area,
                with_phone=False,
            )
            out.append(child)
        return out, eldest

    def title(self, owners: list[str], address: str, community: str, area_m2: float, *, use: str) -> dict:
        registered = date(self.ri(2005, self.year - 1), self.ri(1, 12), self.ri(1, 28))
        return {
            "cert_no": self.property_cert(registered),
            "owner_ids": owners,
            "address": address,
            "community_code": community,
            "area_m2": area_m2,
            "registered_date": registered.isoformat(),
            "use": use,
        }

    def elsewhere(self) -> str:
        """A community of the city outside the seeded attendance zones."""
        return f"{self.area}9{self.ri(0, 99):02d}"

    def student_records(self, children: list[dict], *, school: str) -> Iterator[tuple[str, dict]]:
        """学籍 as of June of ``year``: grade g in the school year that began the September before."""
        for child in children:
            born = date.fromisoformat(child["birth_date"])
            entry = born.year + (6 if (born.month, born.day) <= (8, 31) else 7)  # 6 full years by 31 August
            grade = self.year - entry  # grade 1 in the school year that started in September of ``entry``
            base = {"id_number": child["id_number"], "school_code": school}
            if 1 <= grade <= 6:
                status = "suspended" if self.rng.random() < 0.005 else "enrolled"
                yield "student_records", {
                    **base, "stage": "primary", "grade": grade, "status": status, "graduation_year": entry + 6
                }  # fmt: skip
            elif 7 <= grade <= 9:
                yield "student_records", {
                    **base, "stage": "primary", "grade": 6, "status": "graduated",
                    "graduation_year": entry + 6,
                }  # fmt: skip
                yield "student_records", {
                    **base, "school_code": f"J{school[1:]}", "stage": "junior", "grade": grade,
                    "status": "enrolled", "graduation_year": entry + 9,
                }  # fmt: skip

    def __iter__(self) -> Iterator[tuple[str, dict]]:
        for _ in range(self.households):
            yield from self.family()


@dataclass
class SeedResult:
    households: int
    seed: int
    rows: dict[str, int]
    digest: str
    seconds: float


def seed_population(
    *, households: int, seed: int, communities: list[str], area: str = "330411", year: int = 2026
) -> SeedResult:
    """Empty the registries and write a generated population in one transaction."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    with transaction.atomic():
        empty_registries()
        writer = BulkWriter()
        for section, record in Generator(
            households=households, seed=seed, communities=communities, area=area, year=year
        ):
            for model, row in rows(section, record):
                digest.update(repr((model.__name__, row)).encode())
                writer.add(model, row)
        writer.flush()
    return SeedResult(
        households=households,
        seed=seed,
        rows=writer.counts,
        digest=digest.hexdigest(),
        seconds=round(time.perf_counter() - started, 3),
    )
