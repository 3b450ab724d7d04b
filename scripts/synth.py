"""Synthesise a province for benchmarks: N real units of a province × M posts, seeded."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from generator.source.registry import load_registry

WORDS = [
    "ủy",
    "ban",
    "nhân",
    "dân",
    "phường",
    "xã",
    "thông",
    "báo",
    "kế",
    "hoạch",
    "triển",
    "khai",
    "thực",
    "hiện",
    "công",
    "tác",
    "năm",
    "người",
    "dân",
    "hộ",
    "gia",
    "đình",
    "tổ",
    "dân",
    "phố",
    "thôn",
    "xóm",
    "cán",
    "bộ",
    "công",
    "chức",
    "văn",
    "bản",
    "quyết",
    "định",
    "chuyển",
    "đổi",
    "số",
    "dịch",
    "vụ",
    "công",
    "trực",
    "tuyến",
    "hồ",
    "sơ",
    "thủ",
    "tục",
    "hành",
    "chính",
    "tiếp",
    "nhận",
    "giải",
    "quyết",
    "phòng",
    "chống",
    "thiên",
    "tai",
    "mưa",
    "lũ",
    "bão",
    "ngập",
    "úng",
    "sạt",
    "lở",
    "cứu",
    "hộ",
    "cứu",
    "nạn",
    "an",
    "ninh",
    "trật",
    "tự",
    "vệ",
    "sinh",
    "môi",
    "trường",
    "rác",
    "thải",
    "an",
    "toàn",
    "thực",
    "phẩm",
    "tiêm",
    "chủng",
    "y",
    "tế",
    "giáo",
    "dục",
    "trường",
    "học",
    "lễ",
    "hội",
    "văn",
    "hóa",
    "thể",
    "thao",
    "nông",
    "nghiệp",
    "sản",
    "xuất",
    "kinh",
    "doanh",
    "đất",
    "đai",
    "xây",
    "dựng",
    "quy",
    "hoạch",
    "dự",
    "án",
    "đầu",
    "tư",
    "công",
    "khai",
    "ngân",
    "sách",
    "thu",
    "chi",
    "tài",
    "chính",
    "lấy",
    "ý",
    "kiến",
    "góp",
    "ý",
    "dự",
    "thảo",
]
SECTIONS = [
    "tin-tuc",
    "thong-bao",
    "chi-dao-dieu-hanh",
    "van-ban",
    "thu-tuc-hanh-chinh",
    "pho-bien-phap-luat",
    "quy-hoach-ke-hoach",
    "du-an-dau-tu",
    "lay-y-kien",
    "cong-khai",
]


def sentence(rng: random.Random, n: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def synthesise(
    root: Path,
    units: int,
    posts: int,
    province: str = "01",
    seed: int = 7,
    province_folder: str | None = None,
) -> list[Path]:
    """Write communes/ and content/ for `units` units of `province`; return the unit files."""
    rng = random.Random(seed)
    registry = load_registry()
    chosen = registry.units_of(province)[:units]
    folder = province_folder or chosen[0].province_codename
    start = datetime(2026, 11, 27, 8, 0)
    files = []
    for unit in chosen:
        unit_file = root / "communes" / folder / f"{unit.stem}.yml"
        unit_file.parent.mkdir(parents=True, exist_ok=True)
        host = unit.stem.replace("_", "")
        unit_file.write_text(
            f'code: "{unit.code}"\nsite_url: https://{host}.example.gov.vn/\nagency:\n'
            f"  address: Số {rng.randint(1, 300)} đường Trần Phú, {unit.name}\n"
            f'  phone: "024 38{rng.randint(10, 99)} {rng.randint(1000, 9999)}"\n'
            f"  email: ubnd.{host}@example.gov.vn\n  responsible:\n"
            f"    name: Nguyễn Văn {rng.choice(['An', 'Bình', 'Cường', 'Dũng'])}\n"
            f"    title: Phó Chủ tịch UBND\nintroduction: |\n  {sentence(rng, 60)}\n",
            encoding="utf-8",
        )
        content = root / "content" / folder / unit.stem
        for i in range(posts):
            section = SECTIONS[i % len(SECTIONS)]
            when = start - timedelta(hours=rng.randint(1, 24 * 120))
            body = "\n\n".join(sentence(rng, rng.randint(40, 120)) for _ in range(4))
            post = content / section / f"bai-{i:03d}.md"
            post.parent.mkdir(parents=True, exist_ok=True)
            post.write_text(
                f"---\ntitle: {sentence(rng, 10)[:-1]}\ndate: {when:%Y-%m-%d %H:%M}\n---\n{body}\n",
                encoding="utf-8",
            )
        files.append(unit_file)
    return files
