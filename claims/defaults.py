"""What every installation starts with: the seeded reason codes, the claim types, and the general
programme. Installed by a data migration, and again by tests that flush the database."""

from __future__ import annotations

# code, Chinese name, English name (the reviewer's managed list; admins add more)
REASON_CODES = [
    ("warranty_expired", "超出三包有效期", "warranty expired"),
    ("usage_over_limit", "使用里程/时长超限", "usage over limit"),
    ("submitted_too_late", "超期提交", "submitted too late"),
    ("not_registered", "未登记或超期登记", "unit not registered / registered late"),
    ("excluded_cause", "属除外责任", "excluded cause"),
    ("excessive_labour", "工时超标", "excessive labour"),
    ("part_not_returned", "旧件未返回", "part not returned"),
    ("wrong_part", "旧件非索赔故障件", "part not the failed part"),
    ("duplicate_claim", "重复索赔", "duplicate claim"),
    ("missing_documents", "资料不全", "missing documents"),
    ("unauthorised_repair", "未经授权的维修", "unauthorised repair"),
    ("price_over_list", "配件价格高于价目表", "part price above the price list"),
]

# code, Chinese name, English name, engine remedies that support it
CLAIM_TYPES = [
    ("repair", "维修", "repair", ["FREE_REPAIR", "FREE_PART_REPLACEMENT", "FREE_ASSEMBLY_REPLACEMENT"]),
    ("exchange", "换货", "exchange", ["EXCHANGE"]),
    ("refund", "退货", "refund", ["REFUND"]),
]

# claim type -> documents a claim of that type must carry under the general programme
REQUIRED_DOCUMENTS = {
    "repair": ["photo", "repair_record"],
    "exchange": ["photo", "repair_record", "invoice"],
    "refund": ["photo", "repair_record", "invoice"],
}


def install(apps, schema_editor=None) -> None:
    """Idempotent: rows that exist are left as an admin may have changed them."""
    ReasonCode = apps.get_model("claims", "ReasonCode")
    ClaimType = apps.get_model("claims", "ClaimType")
    ClaimProgramme = apps.get_model("claims", "ClaimProgramme")
    RequiredDocument = apps.get_model("claims", "RequiredDocument")
    for position, (code, name, name_en) in enumerate(REASON_CODES):
        ReasonCode.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": position})
    types = {}
    for position, (code, name, name_en, remedies) in enumerate(CLAIM_TYPES):
        types[code], _created = ClaimType.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "remedies": remedies, "position": position}
        )
    programme, created = ClaimProgramme.objects.get_or_create(
        code="general",
        defaults={"name": "三包索赔通则 (general claim programme)", "return_parts": ["*"]},
    )
    if created:
        for type_code, kinds in REQUIRED_DOCUMENTS.items():
            for kind in kinds:
                RequiredDocument.objects.create(programme=programme, claim_type=types[type_code], kind=kind)


def install_now() -> None:
    from django.apps import apps

    install(apps)
