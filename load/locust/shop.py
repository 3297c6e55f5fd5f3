"""Shopfront's load scenario: the seed's k6 scenario made real for this API, run by Locust.

Run it through scripts/load.sh, which passes these in the environment:
  BASE_URL (as --host)         the gateway, e.g. http://127.0.0.1:21080
  PROFILE                      seed (the seed's stages, 5 min) or short (the same shape in 80 s)
  ADMIN_EMAIL, ADMIN_PASSWORD  setup: an administrator creates the products the orders are placed on
  LOAD_OUT                     folder for summary.json (the end-of-test summary) and samples.csv (every request)

Like k6's setup(), the administrator creates the products and one account per VU is registered and logged in
before the stages start (outside the measured requests: the seed measures shopping, not sign-up). Each VU takes
an account and loops: list products, place an order of one product picked at random with a fresh
Idempotency-Key, sleep 1 s (k6's iteration; Locust's wait after each task).
  SIGNUP_STORM=1               adds a sign-up storm: 20 new accounts a second for 30 s from the start of the
                               100-VU plateau, measured as kind `signup`; each must be answered 201, or 503 with
                               Retry-After (password hashing is bounded), while reads and orders keep to ours.
Requests are tagged by kind: read, order, auth. Thresholds are k6's syntax and meaning (percentiles interpolated
as k6 does); any failed threshold makes the exit code 99, as k6's.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import random
import resource
import sys
import time
import uuid
from datetime import datetime, timezone

import gevent
import gevent.pool
import requests
from locust import FastHttpUser, LoadTestShape, constant, events, task

PROFILE = os.environ.get("PROFILE", "short")
SIGNUP_STORM = os.environ.get("SIGNUP_STORM", "") == "1"
STORM_RATE_PER_S = 20
STORM_DURATION_S = 30
# (duration s, target VUs), ramped linearly as k6's ramping-vus executor does.
STAGES = {
    # The seed's: 30 s to 50 VUs, 1 min to 100, 3 min at 100, 30 s to 0.
    "seed": [(30, 50), (60, 100), (180, 100), (30, 0)],
    # The same shape (1 : 2 : 6 : 1) in 80 s, still reaching 100 VUs.
    "short": [(8, 50), (16, 100), (48, 100), (8, 0)],
}
if PROFILE not in STAGES:
    sys.exit(f"PROFILE must be one of {', '.join(STAGES)}, got {PROFILE!r}")

THRESHOLDS = {
    # The seed's, over every request.
    "seed": {
        "http_req_duration": ["p(95)<500", "p(99)<1000"],
        "http_req_failed": ["rate<0.1"],
    },
    # Ours: stricter, per kind of request.
    "ours": {
        "http_req_duration{kind:read}": ["p(99)<100"],
        "http_req_duration{kind:order}": ["p(99)<250"],
        # Reads, orders and the setup's sign-ins never fail; a storm's sign-up may be refused (503), its check says how.
        "http_req_failed{kind:read}": ["rate==0"],
        "http_req_failed{kind:order}": ["rate==0"],
        "checks": ["rate==1"],
    },
}

PRODUCTS = 5
# Far more than a seed run can order (100 VUs at about one order a second for 5 min is about 25,000).
STOCK_PER_PRODUCT = 1_000_000
PASSWORD = "correct horse battery staple"
RUN_ID = f"{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
OUT = os.environ.get("LOAD_OUT", "reports/load")

state: dict = {
    "product_ids": [],
    "setup_error": None,
    "started": None,  # perf_counter and wall clock when the stages start (after setup)
    "started_at": None,
    "ended": None,
    "iterations": 0,
    "vus_max": 0,
    "vus_without_token": 0,
    "orders_skipped": 0,
    "tokens": [],
    "signups": {"201": 0, "503": 0, "other": 0},
}
durations: dict[str, list[float]] = {"read": [], "order": [], "auth": [], "signup": []}
failed: dict[str, int] = {"read": 0, "order": 0, "auth": 0, "signup": 0}
failure_kinds: dict[str, int] = {}
failure_examples: dict[str, str] = {}
checks: dict[str, dict[str, int]] = {}
samples_file = None
samples_writer = None
vu_numbers = itertools.count(1)


def check(name: str, ok: bool) -> bool:
    entry = checks.setdefault(name, {"passes": 0, "fails": 0})
    entry["passes" if ok else "fails"] += 1
    return ok


def percentile(sorted_values: list[float], p: float) -> float:
    """k6's percentile: linear interpolation between the closest ranks."""
    if not sorted_values:
        return math.nan
    i = p / 100 * (len(sorted_values) - 1)
    lo, hi = sorted_values[math.floor(i)], sorted_values[math.ceil(i)]
    return lo + (hi - lo) * (i - math.floor(i))


class Stages(LoadTestShape):
    """k6's ramping-vus: the VU target interpolated linearly within each stage, adjusted every second."""

    last_report = 0.0

    def tick(self):
        if state["setup_error"]:
            return None
        if state["started"] is None:
            return (0, 100)  # setup runs on the first tick (test_start); the stages start after it
        t = self.get_run_time()
        if t - self.last_report >= 10:
            self.last_report = t
            total = sum(len(v) for v in durations.values())
            print(
                f"[load] {t:5.0f} s  {self.get_current_user_count():3d} VUs  {total} requests  "
                f"{sum(failed.values())} failed",
                flush=True,
            )
        elapsed, previous = 0.0, 0
        for duration, target in STAGES[PROFILE]:
            if t < elapsed + duration:
                vus = round(previous + (target - previous) * (t - elapsed) / duration)
                return (vus, 100)
            elapsed, previous = elapsed + duration, target
        return None


class Shopper(FastHttpUser):
    wait_time = constant(1)  # k6's sleep(1) at the end of each iteration
    token = ""

    def on_start(self):
        number = next(vu_numbers)
        self.email = f"load-{RUN_ID}-vu{number}@example.com"
        tokens = state["tokens"]
        # The account setup made for this VU; a VU beyond them (none with these stages) signs up itself.
        self.token = tokens[(number - 1) % len(tokens)] if tokens else ""
        self.signed_in = True if self.token else None

    def sign_in(self) -> bool:
        res = self.client.post(
            "/api/v1/auth/register",
            json={"email": self.email, "password": PASSWORD, "name": "Load"},
            name="POST /api/v1/auth/register",
            context={"kind": "auth"},
        )
        check("registered (201)", res.status_code == 201)
        res = self.client.post(
            "/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            name="POST /api/v1/auth/login",
            context={"kind": "auth"},
        )
        token = _json(res).get("accessToken") if res.status_code == 200 else None
        if not check("logged in (200, token)", isinstance(token, str)):
            state["vus_without_token"] += 1
            return False
        self.token = token
        return True

    @task
    def shop(self):
        if self.signed_in is None:  # the first iteration
            self.signed_in = self.sign_in()
        timing: dict = {}
        res = self.client.get(
            "/api/v1/products?limit=20",
            name="GET /api/v1/products?limit=20",
            context={"kind": "read", "timing": timing},
        )
        check("status is 200", res.status_code == 200)
        check("response time OK", timing["ms"] < 500)
        check("products listed", len(_json(res).get("items") or []) > 0)
        if not self.signed_in:
            # Orders without a token would only measure the 401; the failed sign-in is counted above.
            state["orders_skipped"] += 1
            state["iterations"] += 1
            return

        res = self.client.post(
            "/api/v1/orders",
            json={
                "items": [{"productId": random.choice(state["product_ids"]), "quantity": 1}],
                "paymentToken": "tok_visa",
            },
            headers={"authorization": f"Bearer {self.token}", "idempotency-key": str(uuid.uuid4())},
            name="POST /api/v1/orders",
            context={"kind": "order"},
        )
        check("order created", res.status_code == 201)
        check("order CONFIRMED", _json(res).get("status") == "CONFIRMED")
        state["iterations"] += 1


def _json(res) -> dict:
    try:
        body = res.json()
        return body if isinstance(body, dict) else {}
    except Exception:
        return {}


@events.request.add_listener
def on_request(request_type, name, response_time, response, context, exception, start_time, **_kwargs):
    kind = (context or {}).get("kind", "other")
    status = getattr(response, "status_code", 0) or 0
    # k6's http_req_failed: no response, or a status outside 200-399.
    is_failed = exception is not None or not 200 <= status < 400
    if "timing" in (context or {}):
        context["timing"]["ms"] = response_time
    durations.setdefault(kind, []).append(response_time)
    vus = _runner_user_count()
    state["vus_max"] = max(state["vus_max"], vus)
    if is_failed:
        failed[kind] = failed.get(kind, 0) + 1
        key = f"{kind} {name} {status or type(exception).__name__}"
        failure_kinds[key] = failure_kinds.get(key, 0) + 1
        if key not in failure_examples:
            text = getattr(response, "text", None) or str(exception)
            failure_examples[key] = (text or "")[:300]
    if samples_writer is not None:
        samples_writer.writerow(
            [round(start_time * 1000), kind, name, status, round(response_time, 3), int(is_failed), vus]
        )


_environment = None


def _runner_user_count() -> int:
    runner = getattr(_environment, "runner", None)
    return runner.user_count if runner is not None else 0


@events.init.add_listener
def on_init(environment, **_kwargs):
    global _environment
    _environment = environment


@events.test_start.add_listener
def setup(environment, **_kwargs):
    """k6's setup(): the administrator logs in and creates the products, outside the measured requests."""
    global samples_file, samples_writer
    os.makedirs(OUT, exist_ok=True)
    samples_file = open(os.path.join(OUT, "samples.csv"), "w", newline="")  # noqa: SIM115
    samples_writer = csv.writer(samples_file)
    samples_writer.writerow(["time_ms", "kind", "name", "status", "duration_ms", "failed", "vus"])
    base = environment.host.rstrip("/")
    try:
        email, password = os.environ["ADMIN_EMAIL"], os.environ["ADMIN_PASSWORD"]
        login = requests.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30)
        if login.status_code != 200:
            raise RuntimeError(f"admin login answered {login.status_code}: {login.text[:300]}")
        headers = {"authorization": f"Bearer {login.json()['accessToken']}"}
        for i in range(PRODUCTS):
            res = requests.post(
                f"{base}/api/v1/products",
                json={
                    "name": f"Load {RUN_ID} #{i + 1}",
                    "description": "created by the load scenario's setup",
                    "price": {"amount": 500 + 100 * i, "currency": "EUR"},
                    "stock": STOCK_PER_PRODUCT,
                },
                headers=headers,
                timeout=30,
            )
            if res.status_code != 201:
                raise RuntimeError(f"creating a product answered {res.status_code}: {res.text[:300]}")
            state["product_ids"].append(res.json()["id"])
        state["tokens"] = _accounts(base, max(target for _, target in STAGES[PROFILE]))
    except Exception as error:  # noqa: BLE001 - reported in the summary and the exit code
        state["setup_error"] = f"setup failed: {error}"
        print(state["setup_error"], file=sys.stderr, flush=True)
        return
    state["cpu_start"] = _cpu_seconds()
    state["started"] = time.perf_counter()
    state["started_ms"] = round(time.time() * 1000)
    state["started_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if environment.shape_class is not None:
        environment.shape_class.reset_time()
    if SIGNUP_STORM:
        gevent.spawn(_storm, base)


def _register(base: str, email: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Load"}, timeout=30
    )


def _accounts(base: str, count: int) -> list[str]:
    """Registers and logs in `count` accounts, a few at a time, honouring 503 + Retry-After; returns their tokens."""

    def one(i: int) -> str:
        email = f"load-{RUN_ID}-{i}@example.com"
        for attempt in range(20):
            res = _register(base, email)
            if res.status_code == 201:
                break
            if res.status_code != 503:
                raise RuntimeError(f"registering a load account answered {res.status_code}: {res.text[:300]}")
            time.sleep(float(res.headers.get("retry-after", "1")))
        else:
            raise RuntimeError("registering a load account: still 503 after 20 tries")
        login = requests.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
        if login.status_code != 200:
            raise RuntimeError(f"logging a load account in answered {login.status_code}: {login.text[:300]}")
        return login.json()["accessToken"]

    pool = gevent.pool.Pool(4)
    return list(pool.imap(one, range(count)))


def _storm(base: str) -> None:
    """20 sign-ups a second for 30 s from the start of the 100-VU plateau, each on its own greenlet."""
    elapsed, previous = 0.0, 0
    for duration, target in STAGES[PROFILE]:
        if previous == target == 100:  # the plateau: a stage that holds 100 VUs
            break
        elapsed, previous = elapsed + duration, target
    gevent.sleep(max(0.0, elapsed - (time.perf_counter() - state["started"])))
    print(f"[load] sign-up storm: {STORM_RATE_PER_S}/s for {STORM_DURATION_S} s", flush=True)
    greenlets = []
    for n in range(STORM_RATE_PER_S * STORM_DURATION_S):
        greenlets.append(gevent.spawn(_storm_signup, base, n))
        gevent.sleep(1 / STORM_RATE_PER_S)
    gevent.joinall(greenlets)


def _storm_signup(base: str, n: int) -> None:
    started = time.perf_counter()
    exception = None
    res = None
    try:
        res = _register(base, f"storm-{RUN_ID}-{n}@example.com")
    except Exception as error:  # noqa: BLE001 - counted as a failed request and check
        exception = error
    status = res.status_code if res is not None else 0
    answered = status == 201 or (status == 503 and res is not None and "retry-after" in res.headers)
    check("sign-up answered (201, or 503 with Retry-After)", answered)
    state["signups"][str(status) if status in (201, 503) else "other"] += 1
    on_request(
        "POST",
        "POST /api/v1/auth/register (storm)",
        (time.perf_counter() - started) * 1000,
        res,
        {"kind": "signup"},
        exception,
        time.time(),
    )


@events.test_stop.add_listener
def on_test_stop(**_kwargs):
    if state["started"] is not None and state["ended"] is None:
        state["ended"] = time.perf_counter()
        state["cpu_end"] = _cpu_seconds()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _trend(values: list[float], duration_s: float, failures: int) -> dict:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "rps": round(len(ordered) / duration_s, 2) if duration_s > 0 else None,
        "failed": failures,
        "min": round(ordered[0], 2) if ordered else None,
        "avg": round(sum(ordered) / len(ordered), 2) if ordered else None,
        **{f"p{p}": round(percentile(ordered, p), 2) if ordered else None for p in (50, 90, 95, 99)},
        "max": round(ordered[-1], 2) if ordered else None,
    }


def _observe(metric: str, aggregate: str) -> float:
    kind = metric.partition("{kind:")[2].rstrip("}") or None
    if metric.startswith("http_req_duration"):
        values = sorted(durations.get(kind, []) if kind else [v for vs in durations.values() for v in vs])
        if aggregate.startswith("p("):
            return percentile(values, float(aggregate[2:-1]))
        return {"avg": sum(values) / len(values) if values else math.nan, "max": max(values, default=math.nan)}[
            aggregate
        ]
    if metric.startswith("http_req_failed"):
        total = len(durations.get(kind, [])) if kind else sum(len(v) for v in durations.values())
        bad = failed.get(kind, 0) if kind else sum(failed.values())
        return bad / total if total else math.nan
    if metric == "checks":
        passes = sum(c["passes"] for c in checks.values())
        total = passes + sum(c["fails"] for c in checks.values())
        return passes / total if total else math.nan
    raise ValueError(f"unknown metric {metric}")


def _evaluate(condition: str, observed: float) -> bool:
    for op in ("<=", ">=", "==", "<", ">"):
        aggregate, found, limit = condition.partition(op)
        if found:
            bound = float(limit)
            return {
                "<=": observed <= bound,
                ">=": observed >= bound,
                "==": observed == bound,
                "<": observed < bound,
                ">": observed > bound,
            }[op]
    raise ValueError(f"unknown threshold {condition}")


@events.quitting.add_listener
def summary(environment, **_kwargs):
    """The end-of-test summary: printed, and written as JSON to LOAD_OUT/summary.json."""
    if samples_file is not None:
        samples_file.close()
    on_test_stop()
    duration_s = (state["ended"] - state["started"]) if state["started"] is not None else 0.0
    thresholds = []
    for set_name, metrics in THRESHOLDS.items():
        for metric, conditions in metrics.items():
            for condition in conditions:
                aggregate = condition.split("<")[0].split(">")[0].split("=")[0]
                observed = _observe(metric, aggregate)
                ok = not math.isnan(observed) and _evaluate(condition, observed)
                thresholds.append(
                    {
                        "set": set_name,
                        "metric": metric,
                        "condition": condition,
                        "observed": None if math.isnan(observed) else round(observed, 4),
                        "ok": ok,
                    }
                )
    every = [v for vs in durations.values() for v in vs]
    result = {
        "tool": "locust 2.47.0 (FastHttpUser)",
        "profile": PROFILE,
        "stages": [{"duration_s": d, "target": t} for d, t in STAGES[PROFILE]],
        "base_url": environment.host,
        "run_id": RUN_ID,
        "started_at": state["started_at"],
        "started_ms": state.get("started_ms"),
        "duration_s": round(duration_s, 1),
        "vus_max": state["vus_max"],
        "iterations": state["iterations"],
        "vus_without_token": state["vus_without_token"],
        "orders_skipped": state["orders_skipped"],
        "signup_storm": state["signups"] if SIGNUP_STORM else None,
        "setup_error": state["setup_error"],
        "metrics": {
            **{kind: _trend(values, duration_s, failed.get(kind, 0)) for kind, values in durations.items()},
            "all": _trend(every, duration_s, sum(failed.values())),
        },
        "failures": failure_kinds,
        "failure_examples": failure_examples,
        "checks": checks,
        "thresholds": thresholds,
        "passed": {s: all(t["ok"] for t in thresholds if t["set"] == s) for s in THRESHOLDS},
        "load_generator_cpu_percent": (
            round(100 * (state["cpu_end"] - state["cpu_start"]) / duration_s, 1) if duration_s > 0 else None
        ),
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    _print_summary(result)
    if state["setup_error"] or not every:
        environment.process_exit_code = 1
    else:
        environment.process_exit_code = 0 if all(t["ok"] for t in thresholds) else 99


def _print_summary(result: dict) -> None:
    lines = [
        "",
        f"profile {result['profile']}: {result['duration_s']} s, up to {result['vus_max']} VUs, "
        f"{result['iterations']} iterations, load generator {result['load_generator_cpu_percent']}% of one core",
        f"{'kind':<6} {'count':>7} {'rps':>7} {'failed':>6} {'p50':>8} {'p90':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)",
    ]
    for kind, m in result["metrics"].items():
        if m["count"]:
            lines.append(
                f"{kind:<6} {m['count']:>7} {m['rps']:>7} {m['failed']:>6} {m['p50']:>8} {m['p90']:>8} "
                f"{m['p95']:>8} {m['p99']:>8} {m['max']:>8}"
            )
    lines.append("checks:")
    for name, c in result["checks"].items():
        lines.append(f"  {'✓' if c['fails'] == 0 else '✗'} {name}: {c['passes']} passed, {c['fails']} failed")
    lines.append("thresholds:")
    for t in result["thresholds"]:
        lines.append(
            f"  {'✓' if t['ok'] else '✗'} [{t['set']}] {t['metric']} {t['condition']} (observed {t['observed']})"
        )
    for key, count in result["failures"].items():
        lines.append(f"failed: {count} × {key}: {result['failure_examples'].get(key, '')}")
    if result["setup_error"]:
        lines.append(result["setup_error"])
    print("\n".join(lines), flush=True)
