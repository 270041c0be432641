"""The program's vocabulary: categories, organization types, levels, tiers, credit, vulnerable groups.

Every term has a stable English id (what JSON output uses) and labels in Chinese and English.
Input accepts the id or either label, so ``"产业帮扶"``, ``"Industry support"`` and ``"industry"``
all name :attr:`Category.INDUSTRY`.

Examples
--------
>>> Category("产业帮扶") is Category.INDUSTRY
True
>>> Category.VULNERABLE.label("zh")
'扶弱济困'
>>> [t.value for t in PRIMARY_TYPES[Category.CULTURE_TOURISM]]
['culture_tourism']
"""

from __future__ import annotations

from enum import StrEnum

from .catalog import Language, section

__all__ = [
    "CATEGORY_CODES",
    "PRIMARY_TYPES",
    "SUPPORTING_TYPES",
    "Category",
    "Credit",
    "Language",
    "Level",
    "OrgType",
    "Priority",
    "Scope",
    "VulnerableGroup",
]

# (zh, en) labels, kept apart from the enums so that a member's value is its id and nothing else.
_LABELS = section("term")

# Extra spellings accepted on input (short Chinese names, registration-level words).
_ALIASES: dict[str, str] = {
    "产业": "industry",
    "人才": "talent",
    "就业": "employment",
    "扶弱": "vulnerable",
    "消费": "consumption",
    "文旅": "culture_tourism",
    "全国性": "nation",
    "全省性": "province",
    "省级": "province",
    "市级": "city",
    "县级": "county",
    "重点": "key",
    "脱贫县": "former_poverty",
}


class _Vocabulary(StrEnum):
    """A term with an id, Chinese and English labels, accepting any of them on input."""

    def _key(self) -> str:
        return self.value

    def label(self, language: Language = "zh") -> str:
        """The term's label in ``language`` (``"zh"`` or ``"en"``)."""
        zh, en = _LABELS[self._key()]
        return zh if language == "zh" else en

    @classmethod
    def _missing_(cls, value: object) -> _Vocabulary | None:
        if not isinstance(value, str):
            return None
        text = value.strip()
        text = _ALIASES.get(text, text)
        for member in cls:
            zh, en = _LABELS[member._key()]
            if text in (member.value, zh) or text.casefold() in (
                en.casefold(),
                member.name.casefold(),
            ):
                return member
        return None


class Category(_Vocabulary):
    """The six assistance categories of the plan (帮扶内容)."""

    INDUSTRY = "industry"
    TALENT = "talent"
    EMPLOYMENT = "employment"
    VULNERABLE = "vulnerable"
    CONSUMPTION = "consumption"
    CULTURE_TOURISM = "culture_tourism"


#: Category -> integer code used in the numpy arrays (the enum's declaration order).
CATEGORY_CODES: dict[Category, int] = {category: code for code, category in enumerate(Category)}


class OrgType(_Vocabulary):
    """Organization types named by the plan, supporting roles included."""

    INDUSTRY_ASSOCIATION = "industry_association"
    AGRICULTURE = "agriculture"
    SCIENCE_TECHNOLOGY = "science_technology"
    FOUNDATION = "foundation"
    TRAINING = "training"
    ACADEMIC = "academic"
    EMPLOYMENT_SERVICE = "employment_service"
    SOCIAL_SERVICE = "social_service"
    PUBLIC_WELFARE = "public_welfare"
    COMMUNITY_SERVICE = "community_service"
    GRASSROOTS_COMMUNITY = "grassroots_community"
    ECOMMERCE = "ecommerce"
    PRIVATE_INSTITUTION = "private_institution"
    CULTURE_TOURISM = "culture_tourism"
    MEDIA = "media"
    HUB = "hub"
    PROFESSIONAL = "professional"
    OTHER = "other"

    def _key(self) -> str:
        # The type shares its id with the category; its labels are kept under another key.
        return "culture_tourism_org" if self is OrgType.CULTURE_TOURISM else self.value


#: The plan's primary organization types per category (以…为重点), as data.
PRIMARY_TYPES: dict[Category, frozenset[OrgType]] = {
    Category.INDUSTRY: frozenset(
        {
            OrgType.INDUSTRY_ASSOCIATION,
            OrgType.AGRICULTURE,
            OrgType.SCIENCE_TECHNOLOGY,
            OrgType.FOUNDATION,
        }
    ),
    Category.TALENT: frozenset(
        {OrgType.TRAINING, OrgType.SCIENCE_TECHNOLOGY, OrgType.ACADEMIC, OrgType.FOUNDATION}
    ),
    Category.EMPLOYMENT: frozenset(
        {OrgType.INDUSTRY_ASSOCIATION, OrgType.EMPLOYMENT_SERVICE, OrgType.SOCIAL_SERVICE}
    ),
    Category.VULNERABLE: frozenset(
        {OrgType.PUBLIC_WELFARE, OrgType.COMMUNITY_SERVICE, OrgType.GRASSROOTS_COMMUNITY}
    ),
    Category.CONSUMPTION: frozenset(
        {OrgType.INDUSTRY_ASSOCIATION, OrgType.ECOMMERCE, OrgType.PRIVATE_INSTITUTION}
    ),
    Category.CULTURE_TOURISM: frozenset({OrgType.CULTURE_TOURISM}),
}

#: Supporting roles: not primary for any category (宣传支持; 枢纽型、学术型、专业型).
SUPPORTING_TYPES: frozenset[OrgType] = frozenset(
    {OrgType.MEDIA, OrgType.HUB, OrgType.ACADEMIC, OrgType.PROFESSIONAL}
)


class Level(_Vocabulary):
    """Administrative level of a region, from the nation down to the village."""

    NATION = "nation"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @property
    def depth(self) -> int:
        """0 for the nation, 5 for a village."""
        return _DEPTHS[self]


#: Level -> depth, looked up rather than searched (loading a national problem asks 100,000 times).
_DEPTHS: dict[Level, int] = {level: depth for depth, level in enumerate(Level)}


class Scope(_Vocabulary):
    """Registration level of an organization, which bounds where it works."""

    NATION = "nation"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def level(self) -> Level:
        """The region level whose area the organization may serve."""
        return Level(self.value)


class Priority(_Vocabulary):
    """Priority tier of a region: key assistance areas come first."""

    KEY = "key"
    FORMER_POVERTY = "former_poverty"
    NORMAL = "normal"


class Credit(_Vocabulary):
    """Credit standing of an organization."""

    NORMAL = "normal"
    ABNORMAL = "abnormal"
    BLACKLISTED = "blacklisted"

    def _key(self) -> str:
        return "credit_normal" if self is Credit.NORMAL else self.value


class VulnerableGroup(_Vocabulary):
    """The groups the plan names for help to the vulnerable (扶弱济困)."""

    DESTITUTE = "destitute"
    LEFT_BEHIND_ELDERLY = "left_behind_elderly"
    ORPHANS = "orphans"
    UNSUPPORTED_CHILDREN = "unsupported_children"
    LEFT_BEHIND_CHILDREN = "left_behind_children"
    DISABLED = "disabled"
