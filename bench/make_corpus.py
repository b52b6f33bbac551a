"""Write N synthetic but realistic section 75 agreements, the same ones for the same seed.

    python bench/make_corpus.py 150 --seed 1 --out scratch/corpus

Each agreement is a folder like examples/*: agreement.yaml with a council and an NHS body (an ICB,
or a CCG before 1 July 2022; sometimes a trust as a third partner), governance, a risk share and 1
to 8 Part 2 schedules, each extending one of the built-in presets in schedules/, with its budget
lines (10 to 200 in the whole agreement) in a CSV table per schedule and a stated total that the
lines add up to. Every agreement passes ``s75docs check`` with no errors (its figures are
illustrative, so each schedule says so; some values are left as open points, as in a real draft).
Agreement number i depends only on the seed and i, so a smaller corpus is a prefix of a larger.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import re
import shutil
from pathlib import Path

import yaml

PLACES = ["Ashby", "Bramford", "Calder", "Dunmere", "Eskdale", "Fenwick", "Glenholm", "Harwood",
          "Ilsby", "Kelbrook", "Langmere", "Marlow Vale", "Northcote", "Oakworth", "Pennington",
          "Quarrydale", "Ravensmoor", "Selham", "Thornbury Fields", "Upton Marsh", "Wexcombe",
          "Yarrowby", "Ambridge Heath", "Brackenfold", "Coldharbour", "Deneholme", "Elmsworth"]
SUFFIXES = ["", "shire", " and District", " Valley", " Coast"]

COUNCIL_KINDS = {
    "county_council": "{area} County Council",
    "unitary_council": "{area} Council",
    "metropolitan_borough_council": "{area} Metropolitan Borough Council",
    "london_borough_council": "The Mayor and Burgesses of the London Borough of {area}",
    "district_council": "{area} District Council",
}

# Per preset: typical budget lines, their "type" column, and schedule title variants.
PRESETS = {
    "learning-disabilities": (["Residential and nursing placements", "Supported living",
                               "Day opportunities", "Community learning disability team",
                               "Respite and short breaks", "Direct payments"],
                              ["care purchasing", "pooled", "block contract"],
                              ["Learning Disabilities", "Learning Disability and Autism"]),
    "mental-health": (["Community mental health services", "Section 117 after-care",
                       "Supported accommodation", "Crisis and home treatment",
                       "Employment support", "Residential placements"],
                      ["block contract", "care purchasing", "pooled"],
                      ["Mental Health", "Adult Mental Health", "Mental Health and Wellbeing"]),
    "older-people-bcf": (["Better Care Fund: NHS minimum contribution",
                          "Better Care Fund: improved Better Care Fund grant",
                          "Disabled Facilities Grant", "Reablement", "Home care",
                          "Intermediate care beds", "Community equipment"],
                         ["Better Care Fund", "pooled"],
                         ["Older People and the Better Care Fund", "Age Well",
                          "Better Care Fund"]),
    "camhs": (["Specialist community CAMHS", "Early help and emotional wellbeing",
               "Eating disorder service", "Crisis and out-of-hours response",
               "Mental health support teams in schools"],
              ["block contract", "voluntary sector", "pooled"],
              ["Child and Adolescent Mental Health Services", "Children's Mental Health"]),
    "domestic-abuse": (["Independent domestic violence advocacy", "Refuge accommodation",
                        "Perpetrator programme", "Health-based advocacy (IRIS)",
                        "Children's recovery service"],
                       ["voluntary sector", "block contract"],
                       ["Domestic Abuse", "Domestic Abuse and Violence against Women and Girls"]),
    "public-health": (["Healthy child programme (0 to 19)", "Sexual health services",
                       "Drug and alcohol services", "NHS Health Checks",
                       "Stop smoking service", "Weight management"],
                      ["aligned"],
                      ["Public Health", "Public Health Services"]),
    "childrens-services": (["Short breaks for disabled children", "Children's continuing care",
                            "Special educational needs support", "Community paediatrics",
                            "Therapies for children"],
                           ["aligned"],
                           ["Children's Services", "Start Well", "Children and Young People"]),
}
LOCALITIES = ["north", "south", "east", "west", "central", "rural", "urban", "coastal"]
BODIES = [("board", "Joint Commissioning Board"), ("executive", "Joint Commissioning Executive"),
          ("finance", "Joint Finance and Performance Group"),
          ("hwb", "Health and Wellbeing Board")]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def money(pence: int, rng: random.Random) -> str:
    pounds, rest = divmod(pence, 100)
    text = f"{pounds:,}" + (f".{rest:02d}" if rest else "")
    return rng.choice([f"£{text}", text])


def fy(first: int) -> str:
    return f"{first}/{(first + 1) % 100:02d}"


def agreement_data(index: int, seed: int) -> tuple[dict, dict[str, dict], dict[str, list]]:
    """agreement.yaml, schedule files and budget rows of agreement ``index``."""
    rng = random.Random(f"{seed}:{index}")
    area = rng.choice(PLACES) + rng.choice(SUFFIXES)
    year = rng.randint(2016, 2025)
    commencement = dt.date(year, 4, 1) if rng.random() < 0.7 else dt.date(year, rng.choice(
        [7, 9, 10]), 1)
    first_fy = commencement.year if commencement.month >= 4 else commencement.year - 1
    fixed = rng.random() < 0.4
    years_of_term = rng.choice([3, 5])
    end = dt.date(first_fy + years_of_term, 3, 31)
    council_kind = rng.choice(list(COUNCIL_KINDS))
    ccg_era = commencement < dt.date(2022, 7, 1)
    nhs_key, nhs_term = ("ccg", "the CCG") if ccg_era else ("icb", "the ICB")
    nhs_name = (f"NHS {area} Clinical Commissioning Group" if ccg_era
                else f"NHS {area} Integrated Care Board")

    def open_or(value: object, note: str, chance: float = 0.3) -> object:
        return {"to_be_agreed": note} if rng.random() < chance else value

    partners = [
        {"key": "council", "name": COUNCIL_KINDS[council_kind].format(area=area),
         "defined_term": "the Council", "kind": council_kind,
         "address": open_or(f"Council Offices, {rng.randint(1, 99)} High Street, {area}",
                            "the Council's address for notices"),
         "execution": {"method": "common_seal",
                       "signatories": [{"post": rng.choice(["Authorised Officer",
                                                            "Director of Legal Services"])}]}},
        {"key": nhs_key, "name": nhs_name, "defined_term": nhs_term, "kind": nhs_key,
         "address": open_or(f"{rng.choice(['Quayside', 'Parkway', 'Riverside'])} House, {area}",
                            f"{nhs_term[4:]}'s address for notices".replace("the ", "")),
         "execution": {"method": "signatories",
                       "signatories": [{"post": "Chief Executive"},
                                       {"post": "Chief Finance Officer",
                                        "name": open_or("Alex Morgan", "signatory to be confirmed",
                                                        0.5)}]}},
    ]
    if rng.random() < 0.25:
        trust_kind = rng.choice(["nhs_trust", "foundation_trust"])
        trust = {"key": "trust", "name": f"{area} Community Healthcare NHS "
                 f"{'Foundation ' if trust_kind == 'foundation_trust' else ''}Trust",
                 "defined_term": "the Trust", "kind": trust_kind,
                 "address": f"Trust Headquarters, {area}",
                 "execution": {"method": "signatories",
                               "signatories": [{"post": "Chief Executive"}]}}
        trust["consent"] = open_or(f"the consent of {nhs_name}, given on "
                                   f"{commencement - dt.timedelta(days=40)}",
                                   "commissioners' consent to be obtained")
        partners.append(trust)
    keys = [p["key"] for p in partners]

    governance = []
    for key, name in rng.sample(BODIES, rng.randint(1, 3)):
        governance.append({
            "key": key, "name": f"{area} {name}",
            "membership": [f"senior officers of {p['defined_term'][4:]}" for p in partners],
            "chairs": [rng.choice(["the Director of Adult Social Services",
                                   f"the Chief Executive of {nhs_term[4:]}"])],
            "frequency": open_or(rng.choice(["monthly", "quarterly", "every two months"]),
                                 "meeting frequency to be agreed", 0.15),
            "role": "Oversees the arrangements in this Agreement, the pooled funds and the "
                    "performance of the Schemes, and resolves issues the officers escalate.",
            # A Health and Wellbeing Board is a council committee with its own constitution.
            "kind": "council_committee" if key == "hwb" else "partnership",
        })

    if rng.random() < 0.5:
        weights = [rng.randint(30, 70) for _ in partners]
        shares = [w * 100 // sum(weights) for w in weights]
        shares[0] += 100 - sum(shares)
        risk_share: dict = {"method": "fixed",
                            "shares": {k: f"{s}%" for k, s in zip(keys, shares, strict=False)}}
    else:
        risk_share = {"method": "proportional"}

    version_date = commencement - dt.timedelta(days=rng.randint(20, 90))
    agreement: dict = {
        "reference": f"{slug(area)[:20].rstrip('-')}-s75-{year}-{index:04d}",  # <= 40
        "title": f"Section 75 Partnership Agreement between {partners[0]['name']} and "
                 f"{nhs_name}",
        "area": area,
        "version": f"Draft ({rng.randint(1, 9)})",
        "status": "draft",
        "version_date": version_date,
        "agreement_date": open_or(version_date + dt.timedelta(days=10),
                                  "date of the agreement to be inserted on completion", 0.6),
        "commencement_date": commencement,
        "term": {"kind": "fixed", "end_date": end} if fixed else {"kind": "rolling",
                                                                  "review": "annual"},
        "termination": {"notice": rng.choice(["3 months", "6 months", "12 months"])},
        "consultation": open_or({"description": "the Partners jointly consulted people who use "
                                 "the services, their carers and providers",
                                 "date": version_date - dt.timedelta(days=30)},
                                "joint consultation under regulation 4 to be confirmed", 0.2),
        "approvals": [{"partner": "council", "body": "Cabinet",
                       "date": version_date + dt.timedelta(days=5)},
                      {"partner": nhs_key, "body": "Board" if nhs_key == "icb"
                       else "Governing Body",
                       "date": open_or(version_date + dt.timedelta(days=12),
                                       "date of the NHS body's approval")}],
        "partners": partners,
        "governance": governance,
        "risk_share": risk_share,
        "schedules": [],
    }

    count = rng.randint(1, 8)
    presets = [rng.choice(list(PRESETS)) for _ in range(count)]
    total_lines = rng.randint(max(10, count), 200)
    per_schedule = [1] * count
    for _ in range(total_lines - count):
        per_schedule[rng.randrange(count)] += 1
    term_years = [first_fy + k for k in range(min(years_of_term, 3))]
    schedules: dict[str, dict] = {}
    budgets: dict[str, list] = {}
    used: dict[str, int] = {}
    for number, (preset, n_lines) in enumerate(zip(presets, per_schedule, strict=False), 1):
        used[preset] = used.get(preset, 0) + 1
        key = preset if used[preset] == 1 else f"{preset}-{used[preset]}"
        lines, types, titles = PRESETS[preset]
        title = rng.choice(titles) + ("" if used[preset] == 1 else f" ({used[preset]})")
        schedule: dict = {"extends": preset, "key": key, "title": title}
        arrangements = yaml.safe_load((Path(__file__).resolve().parent.parent / "s75docs" / "presets"
                                       / f"{preset}.yaml").read_text())["arrangements"]
        lead = rng.choice(keys[:2])
        if "lead_commissioning" in arrangements or "joint_commissioning" in arrangements:
            schedule["lead_commissioner"] = ("joint" if "joint_commissioning" in arrangements
                                             else lead)
            if schedule["lead_commissioner"] == lead and len(keys) > 2:
                # With a trust as a third partner, whose functions the lead exercises is said.
                other = keys[1] if lead == keys[0] else keys[0]
                schedule["delegations"] = [{"functions_of": other, "exercised_by": lead}]
        if "pooled_fund" in arrangements:
            host = rng.choice(keys[:2])
            schedule["host_partner"] = host
            schedule["pooled_fund_manager"] = open_or(
                {"post": rng.choice(["Head of Integrated Commissioning",
                                     "Pooled Fund Manager", "Deputy Director, Commissioning"]),
                 "partner": host}, "pooled fund manager to be appointed", 0.15)
            if rng.random() < 0.3 and len(term_years) > 1:
                switch = dt.date(first_fy + 1, 4, 1)
                schedule["phases"] = [{"kind": "aligned", "start": commencement,
                                       "end": switch - dt.timedelta(days=1)},
                                      {"kind": "pooled", "start": switch}]
                if fixed:
                    schedule["phases"][1]["end"] = end
        schedule["budget_files"] = [f"budgets/{key}.csv"]
        schedule["illustrative"] = ("The figures are synthetic, generated for benchmarking; "
                                    "they are not any partner's real contributions.")
        schedule["non_financial_contributions"] = [] if rng.random() < 0.5 else [
            {"partner": rng.choice(keys[:2]), "kind": rng.choice(["staff", "services"]),
             "description": "commissioning and finance staff who support the Scheme"}]
        schedule["variation_of_contributions"] = ("The Partners agree each Contribution before "
                                                  "the Financial Year begins.")
        if rng.random() < 0.5:
            schedule["lead_officers"] = [{"partner": k, "post": "Head of Commissioning"}
                                         for k in keys[:2]]
        rows = []
        total = 0
        for i in range(n_lines):
            pence = rng.randint(5_000, 5_000_000) * 100 + (rng.randint(1, 99)
                                                          if rng.random() < 0.2 else 0)
            total += pence
            name = rng.choice(lines)
            if n_lines > len(lines):
                name += f" ({LOCALITIES[i % len(LOCALITIES)]} locality, line {i + 1})"
            partner = rng.choice(keys[:2] if "pooled_fund" in arrangements else keys)
            rows.append([partner, name, fy(rng.choice(term_years)), money(pence, rng),
                         rng.choice(types)])
        schedule["stated_totals"] = [{"label": f"the {title} budget",
                                      "amount": money(total, rng)}]
        budgets[key] = rows
        path = f"schedules/{number:02d}-{key}.yaml"
        schedules[path] = schedule
        agreement["schedules"].append(path)
    return agreement, schedules, budgets


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_agreement(folder: Path, index: int, seed: int) -> Path:
    agreement, schedules, budgets = agreement_data(index, seed)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "schedules").mkdir(parents=True)
    (folder / "budgets").mkdir()
    (folder / "agreement.yaml").write_text(
        f"# Synthetic agreement {index} (seed {seed}), written by bench/make_corpus.py\n"
        + dump_yaml(agreement), encoding="utf-8")
    for path, schedule in schedules.items():
        (folder / path).write_text(dump_yaml(schedule), encoding="utf-8")
    for key, rows in budgets.items():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["partner", "line", "year", "amount", "type"])
        writer.writerows(rows)
        (folder / "budgets" / f"{key}.csv").write_text(out.getvalue(), encoding="utf-8")
    return folder


def make_corpus(count: int, out: Path, seed: int = 1) -> list[Path]:
    """Write ``count`` agreements into ``out/agreement-NNNN/``; returns their folders."""
    out.mkdir(parents=True, exist_ok=True)
    return [write_agreement(out / f"agreement-{i:04d}", i, seed) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many agreements")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("scratch/corpus"))
    args = parser.parse_args()
    folders = make_corpus(args.count, args.out, args.seed)
    lines = sum(len(p.read_text().splitlines()) - 1 for f in folders
                for p in (f / "budgets").glob("*.csv"))
    print(f"wrote {len(folders)} agreements ({lines} budget lines) to {args.out}")


if __name__ == "__main__":
    main()
