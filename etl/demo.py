"""A realistic synthetic demo force (Essex), or all 43 forces, in the extract contract's CSV format.

Everything here is invented: person ids are made-up nominal numbers, no row describes a real person.
Only the geography and resident populations are real (``reference.geography``).

What the data is built to show, and the published figures it is tuned to (each constant says which):

- demand: ``INCIDENTS_PER_1000_RESIDENTS`` domestic abuse incidents a year (Essex about 41,000), with
  summer, Christmas/New Year and weekend peaks; about 57% become crimes, a step lower from 1 June 2023
  when the Home Office Counting Rules began counting only the most serious offence of an incident;
- repeat victims (a victim's incidents cluster in time) and serial perpetrators (a pool of suspects
  with several victims);
- risk (DASH, about 10% of assessed incidents high), call grades with attendance times;
- outcomes near the national mix (type 16 about half of those assigned, charge under a tenth), recent
  crimes still awaiting one, CPS decisions and court results with their lags; the police charge some
  common assaults themselves, so not every charge follows a file to the CPS;
- about 35 arrests per 100 crimes with custody disposals; DVPNs (and a few DAPNs), DVDS applications on
  both routes, MARAC cases at the SafeLives volume and repeat rate;
- a small share (about 0.1%) of realistic faults so that quarantine and data quality have work to do.

Every event happens before midnight at the start of ``end`` (so with today's date the daily meeting page
has the last days' incidents, and no time lies in the future); an event that would fall after it (an
outcome, a court result, a hearing, an order application) has not happened yet and is left empty or
``pending``. So that every list of the morning meeting has live cases on the day the data are generated
(the meeting the page opens on: the latest working day up to ``end``, at 08:00), a few records around
that meeting are placed deliberately, from a random stream of their own so the published-figure tunings
above are not disturbed: notices awaiting their hearing inside the 48 hours and notices whose deadline
passed since the last meeting with no hearing (``_live_notices``), Clare's Law applications whose checks
or decision are running late (``_live_dvds``). High-risk victims not yet referred, arrests not yet made
and repeat victims arise from the data's own lags.

Generation is vectorised per force with numpy; each force draws from its own random stream derived
from the seed, so the same seed and ``end`` give byte-identical files.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from metrics.daily import default_meeting_time, meeting_window
from reference import geography
from reference.calendar import non_counting_days

ESSEX = "E23000028"
# Essex Police's force number on the Police National Computer, as it prefixes the force's crime numbers.
ESSEX_FORCE_NUMBER = 42

# Essex's 14 partnerships grouped into three divisions along the county's north, west and south.
ESSEX_DIVISIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ESX-N": ("North", ("Braintree", "Chelmsford", "Colchester", "Maldon", "Tendring")),
    "ESX-W": ("West", ("Brentwood", "Epping Forest", "Harlow", "Uttlesford")),
    "ESX-S": ("South", ("Basildon", "Castle Point", "Rochford", "Southend-on-Sea", "Thurrock")),
}

# ONS, "Domestic abuse in England and Wales overview: November 2024": 1,350,428 domestic abuse-related
# incidents and crimes recorded by the police in the year ending March 2024, over 56.1 million residents
# (2011 Census, the population base of reference.geography) = 24.1 a year per 1,000 residents.
INCIDENTS_PER_1000_RESIDENTS = 24.1

# Counting-rule change (HOCR, 1 June 2023): one crime per incident, the most serious, so fewer incidents
# carry a crime of their own from then on.
HOCR_CHANGE = np.datetime64("2023-06-01T00:00:00", "s")
CRIME_CONVERSION_BEFORE_HOCR = 0.62
CRIME_CONVERSION_AFTER_HOCR = 0.56

# DAPN pilots (Domestic Abuse Act 2021 notices) from November 2024: Greater Manchester, the Met,
# Cleveland and North Wales. Elsewhere only a handful, in recent months, for the demo to show the scheme.
DAPN_PILOT_FORCES = frozenset({"E23000005", "E23000001", "E23000013", "W15000001"})
DAPN_PILOT_START = np.datetime64("2024-11-26T00:00:00", "s")

# Home Office outcome types, as shares of outcomes assigned to domestic abuse-related crimes (ONS,
# "Domestic abuse and the criminal justice system", year ending March 2024: evidential difficulties,
# victim does not support (16) about half; charged/summonsed 7-8%), with each type's median lag in days
# from the crime being recorded to the outcome.
OUTCOME_MIX: tuple[tuple[str, float, float], ...] = (
    ("16", 0.520, 35), ("15", 0.100, 120), ("14", 0.070, 60), ("1", 0.074, 50), ("1A", 0.006, 50),
    ("18", 0.050, 70), ("21", 0.040, 110), ("3", 0.028, 45), ("8", 0.025, 30), ("20", 0.020, 40),
    ("10", 0.010, 90), ("22", 0.006, 60), ("9", 0.005, 90), ("17", 0.005, 180), ("12", 0.004, 90),
    ("5", 0.003, 90), ("2", 0.002, 45), ("11", 0.002, 90), ("4", 0.001, 60), ("6", 0.001, 30),
    ("13", 0.001, 60),
)

# HOCR classifications of the crimes (codes of reference/data/offence_codes.csv), with their shares among
# domestic abuse-related crimes: common assault, assault with injury and coercive control lead.
OFFENCE_MIX: tuple[tuple[str, float], ...] = (
    ("105A", 0.300), ("8N", 0.185), ("8U", 0.110), ("8L", 0.075), ("8Q", 0.060), ("8R", 0.050),
    ("58A", 0.055), ("9A", 0.040), ("3B", 0.015), ("5D", 0.010), ("8F", 0.012), ("19C", 0.025),
    ("20A", 0.012), ("58C", 0.010), ("1", 0.0003),
)
UNKNOWN_OFFENCE_CODE = "99Z"

# Shares of rows carrying each deliberate fault (about 0.1% of all rows together).
FAULT_MISSING_RISK = 0.0004            # of incidents: required risk_level empty -> quarantined
FAULT_UNKNOWN_OFFENCE = 0.0005         # of crimes: offence code the reference table does not know
FAULT_ATTENDED_BEFORE_REPORTED = 0.0002  # of incidents
FAULT_ORPHAN_ARREST = 0.002            # of arrests: incident_id not in the incidents extract
FAULT_ACTIONS_OVER_AGREED = 0.002      # of MARAC cases: completed > agreed

# SafeLives: a MARAC should hear about 40 cases a year per 10,000 women aged 16+, about 30% of them
# repeats and about 65% referred by the police. Tuned with the share of high-risk incidents referred.
HIGH_RISK_REFERRED = 0.60
MARAC_FURTHER_REFERRAL = 0.25
POLICE_SHARE_OF_HIGH_RISK_REFERRALS = 0.85
MARAC_POLICE_SHARE = 0.65

# The DPP's Guidance on Charging lets the police charge summary-only offences, common assault (105A) among
# them, without a CPS decision: about half of the charged common assaults here.
POLICE_CHARGED_COMMON_ASSAULT = 0.5

# The live cases of the morning meeting the data open on (see the module's docstring): the meeting time
# the demo is built for (the product's default, daperf.config), and how many of each are placed per force.
DEMO_MEETING_TIME = time_of_day(8, 0)
LIVE_NOTICES_DUE = 3
LIVE_NOTICES_MISSED = 2
LIVE_DVDS_CHECKS_OVERDUE = 2
LIVE_DVDS_DECISIONS_LATE = 2
ORDER_HEARING_HOURS = 48  # Crime and Security Act 2010 s.27 (daperf/thresholds.toml order_hearing_hours)

FILES = ("incidents", "arrests", "protective_orders", "dvds", "marac", "divisions", "csps")

MINUTE = 60
HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class _Practice:
    """How far a force's practice departs from the published national figures the generator is tuned to
    (1 = as published), so that forces differ as real ones do and a comparison of forces has a shape:
    demand reported, arrests where there is a crime, high-risk referrals to MARAC, charges among outcomes."""
    demand: float = 1.0
    arrest: float = 1.0
    referral: float = 1.0
    charge: float = 1.0

    @classmethod
    def of(cls, force_code: str) -> "_Practice":
        """Fixed for a force whatever the seed (a hash of its code), within ±25%; Essex, the demo force
        tuned to its own published figures, as published."""
        if force_code == ESSEX:
            return cls()
        digest = hashlib.sha256(f"daperf-demo-practice:{force_code}".encode()).digest()
        spread = [1 + 0.5 * (digest[i] / 255 - 0.5) for i in range(4)]
        return cls(*spread)


@dataclass(frozen=True)
class _Force:
    code: str
    name: str
    number: int                # prefixes crime numbers and, in the national set, every id
    national: bool             # ids carry the force number so they are unique across forces
    csps: pd.DataFrame         # csp_code, csp_name, division_code, populations, ethnicity counts
    practice: _Practice = _Practice()


# --- public entry point --------------------------------------------------------------------------


def generate(
    out_dir: str | Path,
    *,
    seed: int = 20231,
    years: int = 3,
    scale: str = "force",
    end: date | None = None,
) -> dict[str, int]:
    """Write the five extracts and two reference tables as CSV into ``out_dir``; return rows per file.

    ``scale="force"``: Essex; ``"national"``: the 43 forces of England and Wales. The data covers the
    ``years`` years before ``end`` (default: today), up to midnight at the start of ``end``.
    """
    if scale not in ("force", "national"):
        raise ValueError(f"scale must be 'force' or 'national', not {scale!r}")
    if years < 1:
        raise ValueError("years must be at least 1")
    end = end or date.today()
    window_end = np.datetime64(end.isoformat(), "s")
    window_start = np.datetime64(_years_before(end, years).isoformat(), "s")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    forces = _forces(scale)
    writers: dict[str, tuple[pacsv.CSVWriter, object]] = {}
    counts = dict.fromkeys(FILES, 0)
    try:
        for index, force in enumerate(forces):
            rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
            tables = _force_extracts(rng, force, window_start, window_end)
            for name, table in tables.items():
                if name not in writers:
                    sink = open(out / f"{name}.csv", "wb")
                    # Arrow quotes the header's names; a plain header line is what forces' exports carry.
                    sink.write((",".join(table.column_names) + "\n").encode())
                    writer = pacsv.CSVWriter(sink, table.schema, write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="none"))
                    writers[name] = (writer, sink)
                writers[name][0].write_table(table)
                counts[name] += table.num_rows
    finally:
        for writer, sink in writers.values():
            writer.close()
            sink.close()

    divisions = pd.concat([_divisions(force) for force in forces], ignore_index=True)
    csps = pd.concat([_csp_table(force) for force in forces], ignore_index=True)
    divisions.to_csv(out / "divisions.csv", index=False, lineterminator="\n")
    csps.to_csv(out / "csps.csv", index=False, lineterminator="\n")
    counts["divisions"], counts["csps"] = len(divisions), len(csps)

    seconds = time.perf_counter() - started
    print(f"Demo data ({scale}, seed {seed}, {years} year(s) to {end.isoformat()}) written to {out} "
          f"in {seconds:.1f} s:")
    for name in FILES:
        print(f"  {name + '.csv':<24}{counts[name]:>12,} rows")
    print(f"  {'total':<24}{sum(counts.values()):>12,} rows")
    return counts


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- forces and reference tables -----------------------------------------------------------------


def _forces(scale: str) -> list[_Force]:
    force_list = geography.forces()
    if scale == "force":
        force_list = force_list[force_list["force_code"] == ESSEX]
    result = []
    for position, row in enumerate(force_list.itertuples(index=False), start=1):
        csps = geography.csp_reference(row.force_code)
        ethnicity = geography.resident_ethnicity_by_csp(row.force_code)
        csps = csps.merge(ethnicity[["csp_code", *geography.ETHNIC_GROUPS]], on="csp_code")
        csps["division_code"] = _division_codes(row.force_code, csps)
        national = scale == "national"
        result.append(_Force(row.force_code, row.force_name,
                             position if national else ESSEX_FORCE_NUMBER, national, csps,
                             _Practice.of(row.force_code)))
    return result


def _division_codes(force_code: str, csps: pd.DataFrame) -> np.ndarray:
    if force_code == ESSEX:
        by_name = {csp: code for code, (_, names) in ESSEX_DIVISIONS.items() for csp in names}
        return csps["csp_name"].map(by_name).to_numpy()
    # Elsewhere: up to three divisions of neighbouring codes, a stand-in for the force's real ones.
    parts = np.array_split(np.arange(len(csps)), min(3, len(csps)))
    codes = np.empty(len(csps), dtype=object)
    for number, members in enumerate(parts, start=1):
        codes[members] = f"{force_code}-D{number}"
    return codes


def _divisions(force: _Force) -> pd.DataFrame:
    codes = pd.unique(force.csps["division_code"])
    if force.code == ESSEX:
        names = [ESSEX_DIVISIONS[code][0] for code in codes]
    else:
        names = [f"{force.name} division {code.rsplit('D', 1)[1]}" for code in codes]
    return pd.DataFrame({"force_code": force.code, "division_code": codes, "division_name": names})


def _csp_table(force: _Force) -> pd.DataFrame:
    return force.csps[["csp_code", "csp_name", "force_code", "division_code", "population",
                       "population_16plus", "population_female_16plus"]]


# --- one force's extracts ------------------------------------------------------------------------


def _force_extracts(rng: np.random.Generator, force: _Force, start: np.datetime64,
                    end: np.datetime64) -> dict[str, pa.Table]:
    # The live cases draw from a stream of their own: the rest of the data is as it would be without them.
    live = rng.spawn(1)[0]
    meeting = _LiveMeeting.for_end(end)
    people = _People(rng)
    incidents = _incidents(rng, force, people, start, end)
    arrests = _arrests(rng, force, incidents, end)
    notices = _protective_orders(rng, force, incidents, end, live, meeting)
    dvds = _dvds(rng, force, people, incidents, start, end, live, meeting)
    marac = _marac(rng, force, people, incidents, start, end)
    return {
        "incidents": _incidents_table(force, incidents),
        "arrests": arrests,
        "protective_orders": notices,
        "dvds": dvds,
        "marac": marac,
    }


class _People:
    """Hands out made-up nominal numbers, unique within a force (``P`` + seven digits when written)."""

    # x -> (a*x + b) mod 10^7 with a coprime to 10^7 is a bijection: sequential people get distinct,
    # unordered seven-digit numbers, as a nominal index that holds far more people than these extracts.
    _MODULUS = 10_000_000
    _MULTIPLIER = 7_654_321

    def __init__(self, rng: np.random.Generator) -> None:
        self._offset = int(rng.integers(0, self._MODULUS))
        self._next = 0

    def new(self, count: int) -> np.ndarray:
        """``count`` fresh person numbers (int64)."""
        sequence = self._next + np.arange(count, dtype=np.int64)
        self._next += count
        if self._next > self._MODULUS:
            raise OverflowError("more than ten million people in one force")
        return (sequence * self._MULTIPLIER + self._offset) % self._MODULUS


# --- incidents -----------------------------------------------------------------------------------


def _daily_expected(days: np.ndarray, per_year: float) -> np.ndarray:
    """Expected incidents per day: summer and Christmas/New Year peaks, weekend peak, slow growth."""
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(int) + 1
    weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # Monday = 0
    factor = np.ones(len(days))
    factor += np.where(np.isin(month, (6, 7, 8)), 0.10, 0.0)
    factor += np.where(((month == 12) & (day_of_month >= 20)) | ((month == 1) & (day_of_month <= 2)), 0.25, 0.0)
    factor += np.where(weekday >= 5, 0.18, 0.0)
    factor *= 1 + 0.03 * (days - days[0]).astype(int) / 365.25
    return factor / factor.mean() * per_year / 365.25


def _pick(rng: np.random.Generator, labels: tuple | list, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=size, p=weights / weights.sum())]


def _lognormal_seconds(rng: np.random.Generator, median_seconds: float | np.ndarray, sigma: float,
                       size: int) -> np.ndarray:
    return (np.asarray(median_seconds) * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def _incidents(rng: np.random.Generator, force: _Force, people: _People, start: np.datetime64,
               end: np.datetime64) -> dict[str, np.ndarray]:
    csps = force.csps
    days = np.arange(start.astype("datetime64[D]"), end.astype("datetime64[D]"))
    per_year = INCIDENTS_PER_1000_RESIDENTS * force.practice.demand * csps["population"].sum() / 1000
    per_day = rng.poisson(_daily_expected(days, per_year))
    n = int(per_day.sum())
    # Reports peak in the evening and late at night.
    hour_weights = np.array([5, 4, 3, 2, 1.5, 1.2, 1.2, 1.8, 2.5, 3, 3.3, 3.5, 3.6, 3.7, 3.8, 4, 4.3, 4.8,
                             5.4, 6, 6.4, 6.6, 6.4, 5.8])
    seconds = rng.choice(24, size=n, p=hour_weights / hour_weights.sum()) * HOUR + rng.integers(0, 60, n) * MINUTE
    reported = np.repeat(days.astype("datetime64[s]"), per_day) + seconds.astype("timedelta64[s]")
    reported = np.sort(reported, kind="stable")

    # Victims: how many incidents each has in the window, and when (clustered around a time of their own).
    mean_incidents_per_victim = 0.68 * 1 + 0.32 * 3.0
    n_victims = int(math.ceil(n / mean_incidents_per_victim * 1.05))
    repeats = rng.random(n_victims) >= 0.68
    incident_count = np.where(repeats, 1 + rng.geometric(0.5, n_victims), 1)
    victim_of_slot = np.repeat(np.arange(n_victims), incident_count)
    window_seconds = (end - start).astype(np.int64)
    centre = rng.integers(0, window_seconds, n_victims)
    slot_time = centre[victim_of_slot] + (rng.standard_normal(len(victim_of_slot)) * 100 * DAY).astype(np.int64)
    slots = rng.permutation(len(victim_of_slot))[:n]
    # Rank-match slots to incidents: the incidents keep the seasonal timeline, victims their clustering.
    slots = slots[np.argsort(slot_time[slots], kind="stable")]
    victim = victim_of_slot[slots]

    # Victim attributes (one draw per victim, then indexed by incident).
    relationship = _pick(rng, ("partner", "ex_partner", "parent", "child", "sibling", "other_family", "not_known"),
                         (46, 30, 5, 7, 4, 6, 2), n_victims)
    intimate = np.isin(relationship, ("partner", "ex_partner"))
    victim_sex = np.where(
        intimate,
        _pick(rng, ("female", "male", "other", "not_known"), (81, 18, 0.4, 0.6), n_victims),
        _pick(rng, ("female", "male", "other", "not_known"), (60, 39, 0.3, 0.7), n_victims),
    )
    age_at_start = np.select(
        [relationship == "child", relationship == "parent"],
        [rng.normal(22, 5, n_victims), rng.normal(56, 11, n_victims)],
        rng.normal(35, 11, n_victims),
    )
    age_at_start = np.clip(age_at_start, 18, 78)
    teenager = intimate & (rng.random(n_victims) < 0.015)   # abuse in teenage relationships, aged 16-17
    age_at_start = np.where(teenager, rng.uniform(16, 17.3, n_victims), age_at_start)
    csp_weights = csps["population_16plus"].to_numpy(dtype=float)
    csp_of_victim = rng.choice(len(csps), size=n_victims, p=csp_weights / csp_weights.sum())
    ethnic_counts = csps[list(geography.ETHNIC_GROUPS)].to_numpy(dtype=float)
    cumulative = np.cumsum(ethnic_counts / ethnic_counts.sum(axis=1, keepdims=True), axis=1)
    group_index = (rng.random(n_victims)[:, None] > cumulative[csp_of_victim]).sum(axis=1)
    ethnicity = np.asarray(geography.ETHNIC_GROUPS, dtype=object)[np.minimum(group_index, 4)]
    ethnicity = np.where(rng.random(n_victims) < 0.07, "not_stated", ethnicity)
    disability = _pick(rng, ("yes", "no", "not_known"), (14, 66, 20), n_victims)
    victim_number = people.new(n_victims)

    # Suspects: most victims have their own abuser; about one in ten shares theirs with other victims.
    serial_pool = max(1, int(0.04 * n_victims))
    serial = rng.random(n_victims) < 0.10
    suspect_of_victim = np.where(serial, rng.integers(0, serial_pool, n_victims),
                                 serial_pool + np.arange(n_victims))
    n_suspects = serial_pool + n_victims
    suspect_number = people.new(n_suspects)
    opposite = np.where(victim_sex == "female", "male", "female")
    suspect_sex_of_victim = np.where(intimate & (rng.random(n_victims) < 0.93), opposite,
                                     _pick(rng, ("male", "female", "not_known"), (72, 26, 2), n_victims))
    suspect_age_of_victim = np.select(
        [relationship == "child", relationship == "parent"],
        [age_at_start + rng.normal(27, 5, n_victims), age_at_start - rng.normal(28, 5, n_victims)],
        age_at_start + rng.normal(2, 5, n_victims),
    )
    suspect_age_of_victim = np.clip(suspect_age_of_victim, 16, 90)

    years_elapsed = (reported - start).astype(np.int64) / (365.25 * DAY)
    csp_index = csp_of_victim[victim]
    with_suspect = rng.random(n) >= 0.05       # suspect not identified in about one in twenty
    suspect = np.where(with_suspect, suspect_of_victim[victim], -1)

    # Call grade and attendance.
    call_grade = _pick(rng, ("emergency", "priority", "scheduled", "other"), (33, 45, 17, 5), n)
    median_attend = np.select(
        [call_grade == "emergency", call_grade == "priority", call_grade == "scheduled"],
        [9 * MINUTE, 33 * MINUTE, 18 * HOUR], 3 * HOUR,
    )
    attend_lag = _lognormal_seconds(rng, median_attend, 0.6, n)
    attended = reported + attend_lag.astype("timedelta64[s]")
    attended = _mask_time(attended, (rng.random(n) < np.where(call_grade == "other", 0.4, 0.02)) | (attended >= end))

    # Risk: assessed in about four in five, high in about one in ten of those, concentrated in a group
    # of repeat victims whose abuse is escalating (so they come back to MARAC).
    assessed = rng.random(n) >= 0.21
    escalating = repeats & (rng.random(n_victims) < 0.2)
    high_share = np.where(escalating, 0.45, 0.05)[victim]
    risk_draw = rng.random(n)
    risk_level = np.where(~assessed, "not_assessed",
                          np.where(risk_draw < high_share, "high",
                                   np.where(risk_draw < high_share + 0.30, "medium", "standard"))).astype(object)
    risk_tool = np.where(assessed, _pick(rng, ("dash", "dara", "other"), (87, 11, 2), n), None)
    children = _nullable_bool(rng, rng.random(n) < 0.30, 0.05)

    # Crime recording, with the counting-rule step.
    conversion = np.where(reported < HOCR_CHANGE, CRIME_CONVERSION_BEFORE_HOCR, CRIME_CONVERSION_AFTER_HOCR)
    conversion = conversion + np.where(risk_level == "high", 0.15, 0.0)
    crime_lag = np.where(rng.random(n) < 0.7, rng.exponential(6 * HOUR, n), rng.uniform(DAY, 10 * DAY, n))
    crime_recorded = reported + crime_lag.astype(np.int64).astype("timedelta64[s]")
    is_crime = (rng.random(n) < conversion) & (crime_recorded < end)
    crime_recorded = _mask_time(crime_recorded, ~is_crime)
    offence_codes, offence_shares = zip(*OFFENCE_MIX)
    offence = np.where(is_crime, _pick(rng, offence_codes, offence_shares, n), None)

    # Power of arrest and the no-arrest reason (the arrest itself is drawn in _arrests).
    power = np.where(is_crime & with_suspect, rng.random(n) < 0.88, rng.random(n) < 0.10)
    power_known = rng.random(n) >= np.where(is_crime, 0.04, 0.18)
    arrest_probability = np.where(is_crime, min(0.42 * force.practice.arrest, 0.95), 0.05)
    arrested = power & power_known & with_suspect & (rng.random(n) < arrest_probability)
    reason = _pick(rng, ("suspect_not_present", "insufficient_grounds", "victim_request", "alternative_action",
                         "other"), (40, 15, 15, 20, 10), n)
    no_arrest_reason = np.where(power & power_known & ~arrested & (rng.random(n) < 0.86), reason, None)

    # Outcomes, CPS decisions, court results: lags from the crime's recording; later than end = not yet.
    outcome_codes, outcome_shares, outcome_lags = zip(*OUTCOME_MIX)
    shares = np.array(outcome_shares) * np.where(np.isin(outcome_codes, ("1", "1A")), force.practice.charge, 1.0)
    outcome_choice = rng.choice(len(outcome_codes), size=n, p=shares / sum(shares))
    outcome = np.asarray(outcome_codes, dtype=object)[outcome_choice]
    outcome_lag = _lognormal_seconds(rng, np.asarray(outcome_lags)[outcome_choice] * DAY, 0.9, n)
    outcome_at = crime_recorded + outcome_lag.astype("timedelta64[s]")
    never_finalised = rng.random(n) < 0.02
    has_outcome = is_crime & ~never_finalised & (outcome_at < end)
    outcome = np.where(has_outcome, outcome, None)
    outcome_at = _mask_time(outcome_at, ~has_outcome)

    charged = np.isin(outcome, ("1", "1A"))
    cps_draw = rng.random(n)
    police_charged = charged & (offence == "105A") & (cps_draw < POLICE_CHARGED_COMMON_ASSAULT)
    cps_decision = np.select(
        [charged & ~police_charged,
         np.isin(outcome, ("15", "16")) & (cps_draw < 0.045),
         np.isin(outcome, ("2", "3", "8")) & (cps_draw < 0.25),
         (outcome == "16") & (cps_draw > 0.996)],
        ["charge", "nfa", "oocd", "admin_finalised"], None,
    ).astype(object)
    cps_at = outcome_at - (rng.integers(0, 3, n) * DAY).astype("timedelta64[s]")
    cps_at = np.maximum(cps_at, np.where(is_crime, crime_recorded, cps_at))
    # A file with the CPS for a decision: recent crimes not yet finalised.
    awaiting = is_crime & ~has_outcome & (rng.random(n) < 0.08)
    submitted = crime_recorded + (rng.uniform(2, 30, n) * DAY).astype(np.int64).astype("timedelta64[s]")
    awaiting &= submitted < end
    cps_decision = np.where(awaiting, "pending", cps_decision)
    cps_at = np.where(awaiting, submitted, cps_at)
    cps_at = _mask_time(cps_at, pd.isna(cps_decision))

    result_lag = _lognormal_seconds(rng, 100 * DAY, 0.6, n)
    result_at = outcome_at + result_lag.astype("timedelta64[s]")
    decided = charged & (result_at < end)
    court_result = np.where(decided, _pick(rng, ("convicted", "acquitted", "discontinued"), (76, 10, 14), n), None)
    first_hearing = outcome_at + (rng.integers(1, 15, n) * DAY).astype("timedelta64[s]")
    pending_court = charged & ~decided
    first_hearing = np.minimum(first_hearing, end - np.timedelta64(1, "h"))
    court_result = np.where(pending_court, "pending", court_result)
    court_result_at = np.where(decided, result_at, first_hearing)
    court_result_at = _mask_time(court_result_at, ~charged)

    incident_number = _sequence_by_year(reported)
    crime_step = rng.integers(1, 8, n)  # other crime types take the numbers between
    crime_number = _sequence_by_year(crime_recorded, crime_step, is_crime)

    victim_age = np.minimum(np.floor(age_at_start[victim] + years_elapsed), 80).astype(np.int64)
    suspect_age = np.minimum(np.floor(suspect_age_of_victim[victim] + years_elapsed), 95).astype(np.int64)

    data = {
        "reported": reported, "incident_number": incident_number,
        "csp_index": csp_index, "victim": victim_number[victim],
        "suspect": np.where(suspect >= 0, suspect_number[np.maximum(suspect, 0)], -1),
        "suspect_index": suspect, "victim_index": victim,
        "relationship": relationship[victim], "victim_sex": victim_sex[victim],
        "suspect_sex": np.where(with_suspect, suspect_sex_of_victim[victim], None),
        "victim_age": victim_age, "suspect_age": np.where(with_suspect, suspect_age, -1),
        "victim_ethnicity": ethnicity[victim], "victim_disability": disability[victim],
        "call_grade": call_grade, "attended": attended, "risk_tool": risk_tool, "risk_level": risk_level,
        "children_present": children, "power_of_arrest": np.where(power_known, power, None),
        "no_arrest_reason": no_arrest_reason, "arrested": arrested, "is_crime": is_crime,
        "crime_number": crime_number, "crime_recorded": crime_recorded, "offence_code": offence,
        "outcome_type": outcome, "outcome_at": outcome_at, "cps_decision": cps_decision, "cps_at": cps_at,
        "court_result": court_result, "court_result_at": court_result_at,
    }
    _incident_faults(rng, data)
    return data


def _incident_faults(rng: np.random.Generator, data: dict[str, np.ndarray]) -> None:
    n = len(data["reported"])
    missing_risk = _fault_rows(rng, n, FAULT_MISSING_RISK)
    data["risk_level"][missing_risk] = None
    data["risk_tool"][missing_risk] = None
    crimes = np.flatnonzero(data["is_crime"])
    unknown = crimes[_fault_rows(rng, len(crimes), FAULT_UNKNOWN_OFFENCE)]
    data["offence_code"][unknown] = UNKNOWN_OFFENCE_CODE
    attended = np.flatnonzero(~np.isnat(data["attended"]))
    early = attended[_fault_rows(rng, len(attended), FAULT_ATTENDED_BEFORE_REPORTED)]
    data["attended"][early] = data["reported"][early] - (rng.integers(5, 120, len(early)) * MINUTE).astype("timedelta64[s]")


def _fault_rows(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    count = max(1, int(round(n * share))) if n else 0
    return rng.choice(n, size=count, replace=False) if count else np.array([], dtype=np.int64)


def _incidents_table(force: _Force, data: dict[str, np.ndarray]) -> pa.Table:
    csps = force.csps
    n = len(data["reported"])
    return pa.table({
        "incident_id": _incident_ids(force, data["reported"], data["incident_number"]),
        "force_code": _constant(force.code, n),
        "reported_at": _datetimes(data["reported"]),
        "division_code": _text(csps["division_code"].to_numpy()[data["csp_index"]]),
        "csp_code": _text(csps["csp_code"].to_numpy()[data["csp_index"]]),
        "victim_id": _people_ids(force, data["victim"]),
        "suspect_id": _people_ids(force, data["suspect"]),
        "relationship": _text(data["relationship"]),
        "victim_sex": _text(data["victim_sex"]),
        "suspect_sex": _text(data["suspect_sex"]),
        "victim_age": _ints(data["victim_age"]),
        "suspect_age": _ints(data["suspect_age"]),
        "victim_ethnicity": _text(data["victim_ethnicity"]),
        "victim_disability": _text(data["victim_disability"]),
        "call_grade": _text(data["call_grade"]),
        "attended_at": _datetimes(data["attended"]),
        "risk_tool": _text(data["risk_tool"]),
        "risk_level": _text(data["risk_level"]),
        "children_present": _bools(data["children_present"]),
        "power_of_arrest": _bools(data["power_of_arrest"]),
        "no_arrest_reason": _text(data["no_arrest_reason"]),
        "crime_ref": _crime_refs(force, data["crime_recorded"], data["crime_number"]),
        "offence_code": _text(data["offence_code"]),
        "crime_recorded_at": _datetimes(data["crime_recorded"]),
        "outcome_type": _text(data["outcome_type"]),
        "outcome_at": _datetimes(data["outcome_at"]),
        "cps_decision": _text(data["cps_decision"]),
        "cps_decision_at": _datetimes(data["cps_at"]),
        "court_result": _text(data["court_result"]),
        "court_result_at": _datetimes(data["court_result_at"]),
    })


# --- arrests -------------------------------------------------------------------------------------


def _arrests(rng: np.random.Generator, force: _Force, incidents: dict[str, np.ndarray],
             end: np.datetime64) -> pa.Table:
    source = np.flatnonzero(incidents["arrested"])
    # A few suspects are arrested twice for the same incident (re-arrest on new evidence or breach).
    again = source[rng.random(len(source)) < 0.03]
    source = np.concatenate([source, again])
    m = len(source)
    reported = incidents["reported"][source]
    lag = np.select(
        [rng.random(m) < 0.55, rng.random(m) < 0.67],
        [rng.exponential(2 * HOUR, m), rng.uniform(HOUR, 7 * DAY, m)],
        rng.uniform(7 * DAY, 60 * DAY, m),
    ).astype(np.int64)
    lag[len(source) - len(again):] += rng.integers(2 * DAY, 30 * DAY, len(again))
    arrested = reported + lag.astype("timedelta64[s]")
    keep = arrested < end
    source, arrested = source[keep], arrested[keep]
    m = len(source)
    order = np.argsort(arrested, kind="stable")
    source, arrested = source[order], arrested[order]

    charged_case = np.isin(incidents["outcome_type"][source], ("1", "1A"))
    disposal = np.where(
        charged_case & (rng.random(m) < 0.6), "charged",
        _pick(rng, ("charged", "bail_conditions", "bail_no_conditions", "rui", "nfa", "caution", "other"),
              (8, 24, 5, 34, 21, 3, 5), m),
    ).astype(object)
    disposal_at = arrested + rng.integers(4 * HOUR, 24 * HOUR, m).astype("timedelta64[s]")
    pending = disposal_at >= end
    disposal = np.where(pending, "pending", disposal)
    disposal_at = _mask_time(disposal_at, pending)

    incident_ids = _incident_ids(force, incidents["reported"][source], incidents["incident_number"][source])
    csp_index = incidents["csp_index"][source]
    # About one arrest in a hundred is recorded without its incident (legitimately: the field is optional).
    unlinked = rng.random(m) < 0.01
    incident_ids = pc.if_else(pa.array(unlinked), pa.scalar(None, pa.string()), incident_ids)
    # Fault: an incident id the incidents extract does not hold (from before the extract's window).
    orphan = _fault_rows(rng, m, FAULT_ORPHAN_ARREST)
    orphan_mask = np.zeros(m, dtype=bool)
    orphan_mask[orphan] = True
    old_year = arrested.astype("datetime64[Y]").astype(int) + 1970 - 5
    orphan_ids = _incident_ids(force, np.asarray(old_year), rng.integers(1, 999_999, m), by_year_number=True)
    incident_ids = pc.if_else(pa.array(orphan_mask), orphan_ids, incident_ids)

    return pa.table({
        "arrest_id": _prefixed_ids(force, "ARR", arrested, _sequence_by_year(arrested), 6),
        "force_code": _constant(force.code, m),
        "incident_id": incident_ids,
        "suspect_id": _people_ids(force, incidents["suspect"][source]),
        "arrested_at": _datetimes(arrested),
        "division_code": _text(force.csps["division_code"].to_numpy()[csp_index]),
        "custody_disposal": _text(disposal),
        "disposal_at": _datetimes(disposal_at),
    })


# --- protective orders ---------------------------------------------------------------------------


def _protective_orders(rng: np.random.Generator, force: _Force, incidents: dict[str, np.ndarray],
                       end: np.datetime64, live: np.random.Generator, meeting: "_LiveMeeting") -> pa.Table:
    risk = incidents["risk_level"]
    probability = np.where(risk == "high", 0.07, np.where(risk == "medium", 0.012, 0.0))
    source = np.flatnonzero((incidents["suspect"] >= 0) & (rng.random(len(risk)) < probability))
    served = incidents["reported"][source] + rng.integers(4 * HOUR, 40 * HOUR, len(source)).astype("timedelta64[s]")
    keep = served < end
    source, served = source[keep], served[keep]
    order = np.argsort(served, kind="stable")
    source, served = source[order], served[order]
    k = len(source)
    n_natural = k

    recent = served >= end - np.timedelta64(180, "D")
    pilot = force.code in DAPN_PILOT_FORCES
    dapn = np.where(pilot & (served >= DAPN_PILOT_START), rng.random(k) < 0.7, recent & (rng.random(k) < 0.04))
    scheme = np.where(dapn, "dapn", "dvpn")
    rank = np.where(dapn,
                    _pick(rng, ("inspector", "chief_inspector", "superintendent"), (70, 20, 10), k),
                    _pick(rng, ("superintendent", "chief_superintendent", "acpo"), (82, 14, 4), k))

    to_apply = rng.random(k) < 0.93
    applied_at = served + rng.integers(18 * HOUR, 46 * HOUR, k).astype("timedelta64[s]")
    applied = to_apply & (applied_at < end)
    # Most first hearings inside 48 hours of service; some listed later (courts closed, adjourned).
    late_hearing = rng.random(k) < 0.14
    hearing_at = np.where(late_hearing,
                          served + rng.integers(49 * HOUR, 120 * HOUR, k).astype("timedelta64[s]"),
                          np.maximum(applied_at + rng.integers(1 * HOUR, 6 * HOUR, k).astype("timedelta64[s]"),
                                     applied_at))
    hearing_at = np.where(late_hearing, hearing_at,
                          np.minimum(hearing_at, served + np.timedelta64(47 * HOUR, "s")))
    heard = applied & (hearing_at < end)
    # A notice whose order is still to be applied for (the application not yet made by the end of the
    # data) awaits its hearing like one applied for: "pending", not "not applied".
    outcome = np.where(heard, _pick(rng, ("granted", "refused", "withdrawn", "adjourned"), (86, 6, 3, 5), k),
                       np.where(to_apply, "pending", "not_applied")).astype(object)
    granted = outcome == "granted"
    # A DVPO lasts up to 28 days; a DAPO as long as the court sets (here three months to a year).
    duration_days = np.where(dapn, rng.integers(90, 366, k), 28)
    expires = (hearing_at.astype("datetime64[D]") + duration_days.astype("timedelta64[D]"))
    expires = np.where(granted, expires, np.datetime64("NaT"))
    breaches = np.where(rng.random(k) < 0.78, 0, rng.geometric(0.6, k))

    # The meeting's live notices, awaiting their hearing (none held, none granted yet).
    live_source, live_served, live_applied_at = _live_notices(live, incidents, meeting)
    m = len(live_source)
    live_dapn = np.full(m, pilot and meeting.end >= DAPN_PILOT_START)
    source, served = np.concatenate([source, live_source]), np.concatenate([served, live_served])
    dapn = np.concatenate([dapn, live_dapn])
    scheme = np.where(dapn, "dapn", "dvpn")
    rank = np.concatenate([rank, np.where(live_dapn, "inspector", "superintendent")])
    applied_at = np.concatenate([applied_at, live_applied_at])
    applied = np.concatenate([applied, ~np.isnat(live_applied_at)])
    hearing_at = np.concatenate([hearing_at, np.full(m, np.datetime64("NaT"), dtype="datetime64[s]")])
    heard = np.concatenate([heard, np.zeros(m, dtype=bool)])
    outcome = np.concatenate([outcome, np.full(m, "pending", dtype=object)])
    granted = np.concatenate([granted, np.zeros(m, dtype=bool)])
    expires = np.concatenate([expires, np.full(m, np.datetime64("NaT"), dtype=expires.dtype)])
    breaches = np.concatenate([breaches, np.zeros(m, dtype=breaches.dtype)])
    order = np.argsort(served, kind="stable")
    (source, served, dapn, scheme, rank, applied_at, applied, hearing_at, heard, outcome, granted, expires,
     breaches) = (a[order] for a in (source, served, dapn, scheme, rank, applied_at, applied, hearing_at, heard,
                                      outcome, granted, expires, breaches))
    k = n_natural + m

    incident_ids = _incident_ids(force, incidents["reported"][source], incidents["incident_number"][source])
    csp_index = incidents["csp_index"][source]
    return pa.table({
        "notice_id": _prefixed_ids(force, np.where(dapn, "DAPN", "DVPN"), served,
                                   _sequence_by_year(served, group=dapn.astype(np.int64)), 4),
        "force_code": _constant(force.code, k),
        "scheme": _text(scheme),
        "incident_id": incident_ids,
        "suspect_id": _people_ids(force, incidents["suspect"][source]),
        "victim_id": _people_ids(force, incidents["victim"][source]),
        "division_code": _text(force.csps["division_code"].to_numpy()[csp_index]),
        "csp_code": _text(force.csps["csp_code"].to_numpy()[csp_index]),
        "authorised_rank": _text(rank),
        "served_at": _datetimes(served),
        "order_applied_at": _datetimes(_mask_time(applied_at, ~applied)),
        "hearing_at": _datetimes(_mask_time(hearing_at, ~heard)),
        "order_outcome": _text(outcome),
        "order_expires_at": _dates(expires),
        "breaches": _ints(np.where(granted, breaches, -1)),
    })


# --- the morning meeting's live cases ------------------------------------------------------------


@dataclass(frozen=True)
class _LiveMeeting:
    """The morning meeting the generated data open on (``metrics.daily``'s default for data ending at
    ``end``): since ``start`` (the last meeting) to ``end`` (this one); ``cutoff``, the last moment with
    records, is the earlier of the meeting and the end of the data."""

    start: np.datetime64
    end: np.datetime64
    cutoff: np.datetime64

    @classmethod
    def for_end(cls, end: np.datetime64) -> "_LiveMeeting":
        end_day = end.astype("datetime64[D]").astype(object)
        meeting = default_meeting_time(datetime.combine(end_day, DEMO_MEETING_TIME), end_day - timedelta(days=1),
                                       at=DEMO_MEETING_TIME)
        window = meeting_window(meeting)
        start, stop = np.datetime64(window.start, "s"), np.datetime64(window.end, "s")
        return cls(start, stop, min(stop, end))


def _served_for_deadline(deadline: np.datetime64, hours: int) -> np.datetime64:
    """When a notice must be served for its hearing deadline (``hours`` counting hours later, Sundays and
    bank holidays not counted) to fall at ``deadline`` (on the hour or half hour of a counting day): the
    clock walked back half an hour at a time over the days that count. The marts compute the deadline
    itself (sql/marts/fact_notices.sql); this only aims at it."""
    moment = deadline.astype("datetime64[m]")
    first = (moment - np.timedelta64(hours + 24 * 21, "h")).astype("datetime64[D]").astype(object)
    skipped = set(non_counting_days(first, moment.astype("datetime64[D]").astype(object)))
    remaining = hours * 2
    while remaining:
        moment -= np.timedelta64(30, "m")
        if moment.astype("datetime64[D]").astype(object) not in skipped:
            remaining -= 1
    return moment.astype("datetime64[s]")


def _notice_incident(rng: np.random.Generator, incidents: dict[str, np.ndarray], served: np.datetime64) -> int:
    """An incident a notice served at ``served`` can follow (a named suspect, reported 4 to 40 hours
    before), high risk when there is one; -1 when there is none."""
    reported = incidents["reported"]
    low, high = np.searchsorted(reported, [served - np.timedelta64(40 * HOUR, "s"), served - np.timedelta64(4 * HOUR, "s")])
    candidates = np.arange(low, high)
    candidates = candidates[incidents["suspect"][candidates] >= 0]
    highest = candidates[incidents["risk_level"][candidates] == "high"]
    pool = highest if len(highest) else candidates
    return int(rng.choice(pool)) if len(pool) else -1


def _live_notices(rng: np.random.Generator, incidents: dict[str, np.ndarray],
                  meeting: _LiveMeeting) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Notices for the meeting: ``LIVE_NOTICES_DUE`` served in the 30 hours before the last record (their
    48 hours still running at the meeting), and ``LIVE_NOTICES_MISSED`` whose deadline fell on the last
    meeting's day, after it, with no hearing. Returns the incidents they follow, when they were served, and
    when their order was applied for (none yet for some of the due ones)."""
    due = meeting.cutoff - (rng.uniform(2, 30, LIVE_NOTICES_DUE) * HOUR).astype(np.int64).astype("timedelta64[s]")
    half_hours = rng.choice(np.arange(2, 31), size=LIVE_NOTICES_MISSED, replace=False)
    deadlines = meeting.start + (half_hours * 30 * MINUTE).astype("timedelta64[s]")
    missed = np.array([_served_for_deadline(d, ORDER_HEARING_HOURS) for d in deadlines], dtype="datetime64[s]")
    served = np.concatenate([due, missed])
    source = np.array([_notice_incident(rng, incidents, t) for t in served], dtype=np.int64)
    applied_at = served + (rng.uniform(1, 20, len(served)) * HOUR).astype(np.int64).astype("timedelta64[s]")
    applied_at = _mask_time(applied_at, applied_at >= meeting.cutoff)
    found = source >= 0
    return source[found], served[found], applied_at[found]


def _live_dvds(rng: np.random.Generator, received: np.ndarray, meeting: _LiveMeeting) -> tuple[np.ndarray, np.ndarray]:
    """Clare's Law applications made late for the meeting: ``LIVE_DVDS_CHECKS_OVERDUE`` received one to four
    days before it with no initial checks yet, and ``LIVE_DVDS_DECISIONS_LATE`` received 29 to 35 days
    before it with no decision yet. Returns the indexes of each."""
    def some(low_days: float, high_days: float, count: int) -> np.ndarray:
        earliest = meeting.end - np.timedelta64(int(high_days * DAY), "s")
        latest = meeting.end - np.timedelta64(int(low_days * DAY), "s")
        pool = np.flatnonzero((received >= earliest) & (received <= latest) & (received < meeting.cutoff))
        return rng.choice(pool, size=min(count, len(pool)), replace=False) if len(pool) else pool

    return some(26 / 24, 4, LIVE_DVDS_CHECKS_OVERDUE), some(29, 35, LIVE_DVDS_DECISIONS_LATE)


# --- DVDS (Clare's Law) --------------------------------------------------------------------------


def _dvds(rng: np.random.Generator, force: _Force, people: _People, incidents: dict[str, np.ndarray],
          start: np.datetime64, end: np.datetime64, live: np.random.Generator, meeting: _LiveMeeting) -> pa.Table:
    days = np.arange(start.astype("datetime64[D]"), end.astype("datetime64[D]"))
    weekday = (days.astype(int) + 3) % 7
    # About six applications for every hundred incidents, mostly on weekdays.
    per_year = 0.06 * INCIDENTS_PER_1000_RESIDENTS * force.csps["population"].sum() / 1000
    expected = np.where(weekday >= 5, 0.5, 1.2)
    expected = expected / expected.mean() * per_year / 365.25
    per_day = rng.poisson(expected)
    k = int(per_day.sum())
    received = np.repeat(days.astype("datetime64[s]"), per_day) + (
        rng.integers(8 * 60, 20 * 60, k) * MINUTE).astype("timedelta64[s]")
    received = np.sort(received, kind="stable")

    route = np.where(rng.random(k) < 0.6, "right_to_ask", "right_to_know")
    ask = route == "right_to_ask"
    applicant = np.where(ask, _pick(rng, ("potential_victim", "third_party", "agency"), (62, 30, 8), k),
                         _pick(rng, ("agency", "police"), (45, 55), k))
    # The subject is mostly someone already known as a suspect, the potential victim often theirs.
    with_suspect = np.flatnonzero(incidents["suspect"] >= 0)
    known = rng.random(k) < 0.7
    linked = with_suspect[rng.integers(0, len(with_suspect), k)]
    subject = np.where(known, incidents["suspect"][linked], people.new(k))
    victim_draw = rng.random(k)
    potential_victim = np.where(known & (victim_draw < 0.6), incidents["victim"][linked],
                                np.where(victim_draw < 0.92, people.new(k), -1))
    csp_weights = force.csps["population_16plus"].to_numpy(dtype=float)
    csp_index = np.where(known, incidents["csp_index"][linked],
                         rng.choice(len(csp_weights), size=k, p=csp_weights / csp_weights.sum()))

    checks = received + _lognormal_seconds(rng, 8 * HOUR, 1.0, k).astype("timedelta64[s]")
    checks = _mask_time(checks, (rng.random(k) < 0.02) | (checks >= end))
    risk = _pick(rng, ("standard", "medium", "high", None), (50, 30, 15, 5), k)
    decision_at = received + _lognormal_seconds(rng, 18 * DAY, 0.6, k).astype("timedelta64[s]")
    withdrawn = rng.random(k) < 0.07
    decided = ~withdrawn & (decision_at < end)
    disclose = rng.random(k) < np.where(ask, 0.40, 0.60)
    decision = np.where(withdrawn, "withdrawn",
                        np.where(~decided, "pending", np.where(disclose, "disclosure", "no_disclosure")))
    disclosed = decision_at + (rng.integers(0, 6, k) * DAY + rng.integers(HOUR, 8 * HOUR, k)).astype("timedelta64[s]")
    # The meeting's live applications: checks not yet done, or the decision not yet made.
    checks_late, decision_late = _live_dvds(live, received, meeting)
    checks = _mask_time(checks, np.isin(np.arange(k), checks_late))
    still_open = np.isin(np.arange(k), np.concatenate([checks_late, decision_late]))
    decision = np.where(still_open, "pending", decision)
    decided &= ~still_open
    disclosed = _mask_time(disclosed, (decision != "disclosure") | (disclosed >= end))

    return pa.table({
        "application_id": _prefixed_ids(force, "DVDS", received, _sequence_by_year(received), 5),
        "force_code": _constant(force.code, k),
        "route": _text(route),
        "received_at": _datetimes(received),
        "division_code": _text(force.csps["division_code"].to_numpy()[csp_index]),
        "csp_code": _text(force.csps["csp_code"].to_numpy()[csp_index]),
        "applicant_type": _text(applicant),
        "subject_id": _people_ids(force, subject),
        "potential_victim_id": _people_ids(force, potential_victim),
        "initial_checks_at": _datetimes(checks),
        "risk_level": _text(risk),
        "decision": _text(decision),
        "decision_at": _datetimes(_mask_time(decision_at, ~decided)),
        "disclosed_at": _datetimes(disclosed),
    })


# --- MARAC ---------------------------------------------------------------------------------------


def _marac(rng: np.random.Generator, force: _Force, people: _People, incidents: dict[str, np.ndarray],
           start: np.datetime64, end: np.datetime64) -> pa.Table:
    n = len(incidents["reported"])
    agencies = ("idva", "health", "childrens_social_care", "adult_social_care", "housing", "probation",
                "education", "voluntary_sector", "other")
    agency_weights = (30, 15, 15, 3, 7, 8, 2, 15, 5)
    # Most high-risk incidents are referred, mostly within 28 days, mostly by the police.
    referred = np.flatnonzero((incidents["risk_level"] == "high")
                              & (rng.random(n) < min(HIGH_RISK_REFERRED * force.practice.referral, 0.95)))
    h = len(referred)
    lag = np.select(
        [rng.random(h) < 0.80, rng.random(h) < 0.6],
        [rng.uniform(HOUR, 10 * DAY, h), rng.uniform(10 * DAY, 28 * DAY, h)],
        rng.uniform(28 * DAY, 60 * DAY, h),
    ).astype(np.int64)
    referred_at = incidents["reported"][referred] + lag.astype("timedelta64[s]")
    by_police = rng.random(h) < POLICE_SHARE_OF_HIGH_RISK_REFERRALS
    referred_agency = np.where(by_police, "police", _pick(rng, agencies, agency_weights, h))

    # Partner agencies also refer victims the police hold only at medium risk, or do not know at all,
    # bringing the police share of all referrals to about MARAC_POLICE_SHARE.
    m = int(round(by_police.sum() / MARAC_POLICE_SHARE)) - h
    medium = np.flatnonzero(incidents["risk_level"] == "medium")
    known = rng.random(m) < 0.4
    linked = medium[rng.integers(0, len(medium), m)]
    window = (end - start).astype(np.int64)
    partner_at = np.where(
        known, incidents["reported"][linked] + rng.integers(DAY, 40 * DAY, m).astype("timedelta64[s]"),
        start + rng.integers(0, window, m).astype("timedelta64[s]"),
    )
    agency = np.concatenate([referred_agency, _pick(rng, agencies, agency_weights, m)])
    victim_incident = np.concatenate([referred, np.where(known, linked, -1)])
    victim = np.concatenate([incidents["victim"][referred], np.where(known, incidents["victim"][linked],
                                                                     people.new(m))])
    referral = np.concatenate([referred_at, partner_at])

    # Further referrals of the same victims within the year (a new incident, reported to the police or
    # to a partner agency): with the victims whose escalating abuse brings them back, SafeLives' ~30%.
    again = rng.random(len(victim)) < MARAC_FURTHER_REFERRAL
    later = referral[again] + rng.integers(30 * DAY, 330 * DAY, int(again.sum())).astype("timedelta64[s]")
    agency = np.concatenate([agency, np.where(rng.random(len(later)) < MARAC_POLICE_SHARE, "police",
                                              _pick(rng, agencies, agency_weights, len(later)))])
    victim = np.concatenate([victim, victim[again]])
    victim_incident = np.concatenate([victim_incident, victim_incident[again]])
    referral = np.concatenate([referral, later])
    keep = referral < end
    agency, victim, victim_incident, referral = agency[keep], victim[keep], victim_incident[keep], referral[keep]
    order = np.lexsort((victim, referral))
    agency, victim, victim_incident, referral = agency[order], victim[order], victim_incident[order], referral[order]
    c = len(referral)

    # Repeat as SafeLives defines it: a referral within 12 months of the victim's previous one.
    by_victim = np.lexsort((referral, victim))
    previous_same = np.zeros(c, dtype=bool)
    gap_ok = np.zeros(c, dtype=bool)
    sorted_victim, sorted_time = victim[by_victim], referral[by_victim]
    previous_same[by_victim[1:]] = sorted_victim[1:] == sorted_victim[:-1]
    gap_ok[by_victim[1:]] = (sorted_time[1:] - sorted_time[:-1]) <= np.timedelta64(365, "D")
    is_repeat = previous_same & gap_ok
    repeat_flag = np.where(rng.random(c) < 0.05, None, is_repeat)
    criterion = np.where(is_repeat & (rng.random(c) < 0.4), "repeat",
                         _pick(rng, ("visible_high_risk", "professional_judgement", "escalation"), (72, 18, 10), c))

    # Victims known from incidents carry their recorded details; others are drawn afresh.
    from_incident = victim_incident >= 0
    source = np.maximum(victim_incident, 0)
    sex = np.where(from_incident, incidents["victim_sex"][source],
                   _pick(rng, ("female", "male", "not_known"), (94, 5, 1), c))
    age = np.where(from_incident, incidents["victim_age"][source], np.clip(rng.normal(36, 12, c), 16, 85).astype(np.int64))
    ethnicity = np.where(from_incident, incidents["victim_ethnicity"][source],
                         _pick(rng, ("white", "asian", "black", "mixed", "other", "not_stated"), (84, 5, 3, 2, 1, 5), c))
    disability = np.where(from_incident, incidents["victim_disability"][source],
                          _pick(rng, ("yes", "no", "not_known"), (16, 64, 20), c))
    csp_weights = force.csps["population_female_16plus"].to_numpy(dtype=float)
    csp_index = np.where(from_incident, incidents["csp_index"][source],
                         rng.choice(len(csp_weights), size=c, p=csp_weights / csp_weights.sum()))

    # Meetings every two to four weeks; actions agreed at the meeting and completed over the next months.
    heard = referral.astype("datetime64[D]") + rng.integers(5, 26, c).astype("timedelta64[D]")
    is_heard = heard < end.astype("datetime64[D]")
    heard = np.where(is_heard, heard, np.datetime64("NaT"))
    agreed = np.where(is_heard, rng.poisson(5, c), -1)
    settled = heard < (end.astype("datetime64[D]") - np.timedelta64(60, "D"))
    completed = np.where(is_heard, rng.binomial(np.maximum(agreed, 0), np.where(settled, 0.88, 0.5)), -1)
    faulty = _fault_rows(rng, c, FAULT_ACTIONS_OVER_AGREED)
    faulty = faulty[is_heard[faulty]]
    completed[faulty] = agreed[faulty] + rng.integers(1, 4, len(faulty))
    idva = np.where(is_heard, _nullable_bool(rng, rng.random(c) < 0.65, 0.05), None)
    children = np.where(rng.random(c) < 0.05, -1, rng.poisson(1.1, c))

    return pa.table({
        "case_id": _prefixed_ids(force, "MARAC", referral, _sequence_by_year(referral), 5),
        "force_code": _constant(force.code, c),
        "csp_code": _text(force.csps["csp_code"].to_numpy()[csp_index]),
        "victim_id": _people_ids(force, victim),
        "referral_at": _datetimes(referral),
        "referring_agency": _text(agency),
        "referral_criterion": _text(criterion),
        "heard_at": _dates(heard),
        "repeat_flag": _bools(repeat_flag),
        "victim_sex": _text(sex),
        "victim_age": _ints(age),
        "victim_ethnicity": _text(ethnicity),
        "victim_disability": _text(disability),
        "victim_lgbt": _text(_pick(rng, ("yes", "no", "not_known"), (3, 75, 22), c)),
        "children_in_household": _ints(children),
        "idva_engaged": _bools(idva),
        "actions_agreed": _ints(agreed),
        "actions_completed": _ints(completed),
    })


# --- small vectorised helpers --------------------------------------------------------------------


def _mask_time(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask, np.datetime64("NaT"), values).astype("datetime64[s]")


def _nullable_bool(rng: np.random.Generator, values: np.ndarray, null_share: float) -> np.ndarray:
    return np.where(rng.random(len(values)) < null_share, None, values).astype(object)


def _sequence_by_year(times: np.ndarray, step: np.ndarray | None = None, include: np.ndarray | None = None,
                      group: np.ndarray | None = None) -> np.ndarray:
    """1-based running numbers per calendar year (and group) in time order; ``step`` leaves gaps."""
    n = len(times)
    include = np.ones(n, dtype=bool) if include is None else include
    step = np.ones(n, dtype=np.int64) if step is None else step
    group = np.zeros(n, dtype=np.int64) if group is None else group
    year = np.where(include, times.astype("datetime64[Y]").astype(np.int64), -1)
    order = np.lexsort((times.astype(np.int64), group, year))
    key = (year * 16 + group)[order]
    steps = np.where(include[order], step[order], 0)
    running = np.cumsum(steps)
    new_key = np.r_[True, key[1:] != key[:-1]]
    group_start = np.maximum.accumulate(np.where(new_key, np.arange(n), 0))
    offset = running[group_start] - steps[group_start]
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = running - offset
    return np.where(include, numbers, -1)


def _ids(prefix: str | pa.Array, numbers: np.ndarray, width: int, null: np.ndarray | None = None) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(np.maximum(numbers, 0)), pa.string()), width, "0")
    prefix_array = prefix if isinstance(prefix, pa.Array) else pa.scalar(prefix)
    joined = pc.binary_join_element_wise(prefix_array, digits, "")
    if null is None:
        return joined
    return pc.if_else(pa.array(null), pa.scalar(None, pa.string()), joined)


def _force_prefix(force: _Force) -> str:
    return f"{force.number:02d}-" if force.national else ""


def _years(times: np.ndarray) -> np.ndarray:
    return times.astype("datetime64[Y]").astype(np.int64) + 1970


def _prefixed_ids(force: _Force, kind: str | np.ndarray, times: np.ndarray, numbers: np.ndarray,
                  width: int) -> pa.Array:
    """``KIND-YYYY-000123`` (national: ``KIND-NN-YYYY-000123``, NN the force)."""
    year_text = pc.cast(pa.array(_years(times)), pa.string())
    kind_array = pa.array(kind.astype(str)) if isinstance(kind, np.ndarray) else pa.scalar(kind)
    head = pc.binary_join_element_wise(kind_array, pa.scalar(f"-{_force_prefix(force)}"), year_text,
                                       pa.scalar("-"), "")
    return _ids(head, numbers, width)


def _incident_ids(force: _Force, times_or_years: np.ndarray, numbers: np.ndarray,
                  by_year_number: bool = False) -> pa.Array:
    years = times_or_years if by_year_number else _years(times_or_years)
    head = pc.binary_join_element_wise(pa.scalar(f"INC-{_force_prefix(force)}"),
                                       pc.cast(pa.array(years), pa.string()), pa.scalar("-"), "")
    return _ids(head, numbers, 6)


def _crime_refs(force: _Force, recorded: np.ndarray, numbers: np.ndarray) -> pa.Array:
    """Crime numbers as forces write them: ``42/12345/24`` (force, number in the year, year)."""
    present = ~np.isnat(recorded)
    two_digit_year = pc.utf8_lpad(pc.cast(pa.array(np.where(present, _years(recorded) % 100, 0)), pa.string()), 2, "0")
    digits = pc.utf8_lpad(pc.cast(pa.array(np.maximum(numbers, 0)), pa.string()), 5, "0")
    joined = pc.binary_join_element_wise(pa.scalar(f"{force.number}"), digits, two_digit_year, "/")
    return pc.if_else(pa.array(~present), pa.scalar(None, pa.string()), joined)


def _people_ids(force: _Force, numbers: np.ndarray) -> pa.Array:
    prefix = f"P{force.number:02d}" if force.national else "P"
    return _ids(prefix, numbers, 7, numbers < 0)


def _constant(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string(), from_pandas=True)


def _ints(values: np.ndarray) -> pa.Array:
    """Non-negative integers; a negative value means unknown (empty)."""
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, pa.int64(), mask=values < 0)


def _bools(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.bool_(), from_pandas=True)


# The clocks go forward at 01:00 on the last Sunday of March (that hour does not exist) and back at
# 02:00 BST on the last Sunday of October (01:00-02:00 happens twice): naive local times are kept out of
# both hours so that every time in the files means one instant.
def _clock_change_hours(years: np.ndarray) -> np.ndarray:
    starts = []
    for year in years:
        for month in (3, 10):
            last = np.datetime64(f"{year}-{month + 1:02d}-01") - np.timedelta64(1, "D")
            weekday = (last.astype(int) + 3) % 7
            sunday = last - np.timedelta64((weekday - 6) % 7, "D")
            starts.append(sunday.astype("datetime64[s]") + np.timedelta64(HOUR, "s"))
    return np.array(starts, dtype="datetime64[s]")


def _datetimes(values: np.ndarray) -> pa.Array:
    values = values.astype("datetime64[s]")
    missing = np.isnat(values)
    present = values[~missing]
    if len(present):
        years = np.arange(_years(present.min()), _years(present.max()) + 1)
        for change in _clock_change_hours(years):
            # Moved to the hour's end, not by an hour: a monotone map keeps every "not before" true.
            hour_end = change + np.timedelta64(HOUR, "s")
            values = np.where((values >= change) & (values < hour_end), hour_end, values)
    text = np.datetime_as_string(values, unit="s")
    return pa.array(text, pa.string(), mask=missing)


def _dates(values: np.ndarray) -> pa.Array:
    values = values.astype("datetime64[D]")
    missing = np.isnat(values)
    return pa.array(np.datetime_as_string(values, unit="D"), pa.string(), mask=missing)
