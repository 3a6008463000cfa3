"""The tables ``make bench`` prints, from the results of ``micro``, ``peers.micro``,
``inprocess`` and ``fleet`` (each section prints only what was measured in this run)."""
from . import fleet, load

PEER_NAMES = {
    fleet.OURS: "ours (auth0_jwt)",
    fleet.AA: "ours again (A/A: noise floor)",
    "authlib": "Authlib ResourceProtector (Auth0 Django quickstart)",
    "simplejwt": "simplejwt JWTAuthentication + JWK_URL",
    "pyjwt": "PyJWT PyJWKClient + DRF class",
}
MICRO_NAMES = {fleet.OURS: "ours, new token", fleet.AA: None, "authlib": "authlib",
               "simplejwt": "simplejwt", "pyjwt": "pyjwt"}


def fmt(value, spec=".2f", missing="-"):
    return missing if value is None or value != value else format(value, spec)


def peers(measured, micro, out=print):
    micro = micro or {}
    figures = {name: (micro.get(key) or {}).get("ratio") for name, key in MICRO_NAMES.items()
               if key}
    rows = load.peer_table(measured["peers"], fleet.OURS, figures)
    out(f"\n== Peers: the same DRF routes and gunicorn command "
        f"({load.CONNECTIONS} connections), only the authentication differs ==")
    out(f"Medians of {len(measured['peers'])} rounds; ratios within one run (protected/public:"
        " mixed runs, CPU per request incl. gunicorn and wrk) or one round (req/s).")
    out(f"  {'peer':52} {'Django CPU µs':>14} {'protected/public':>17} {'':>9} "
        f"{'protected':>10} {'protected':>11} {'verify':>9}")
    out(f"  {'':52} {'public/prot.':>14} {'same token':>17} {'new token':>9} "
        f"{'req/s×ours':>10} {'CPU: ours/x':>11} {'×raw RSA':>9}")
    for name, row in rows.items():
        if name not in PEER_NAMES:
            continue
        out(f"  {PEER_NAMES.get(name, name):52} {row['public_us']:6.0f}/{row['private_us']:<7.0f} "
            f"{row['vs_public']:17.2f} {row['vs_public_unique']:9.2f} {row['vs_ours']:10.2f} "
            f"{row['capacity_vs_ours']:11.2f} {fmt(row['verify']):>9}")
    out("  (protected/public and CPU ours/x: capacity from CPU per request, Django + gunicorn + "
        "wrk, same run; req/s×ours: protected-only runs, same round; verify: in process, a new "
        "token per call, DRF authenticate() / the raw RSA verify)")
    if micro.get("ours, repeated token"):
        repeated = micro["ours, repeated token"]["ratio"]
        raw = micro["raw RSA verify"]["us"]
        out(f"  (in process, ours with a repeated token: {repeated:.2f}x the raw RSA verify of "
            f"{raw:.1f} µs; peers cache no verified token, so a repeated and a new token cost "
            "them the same)")
    aa = rows.get(fleet.AA)
    if aa:
        out(f"  noise floor (A/A): the two identical servers differ by {abs(1 - aa['vs_ours']):.0%}"
            f" in req/s, {abs(1 - aa['capacity_vs_ours']):.0%} in CPU per protected request and "
            f"{abs(aa['vs_public'] - rows[fleet.OURS]['vs_public']):.2f} in protected/public: "
            "smaller differences in that column are no difference")


def express(measured, machine, out=print):
    per_round = measured.get("express")
    if not per_round:
        return
    rows = load.alternating_table(per_round)
    out(f"\n== Ours vs the Express quickstart: {load.CONNECTIONS} connections, wrk 1 thread; "
        f"Django: `{fleet.servers.PRODUCTION_COMMAND} bench.wsgi_timing:application` "
        f"({fleet.servers.WORKERS} sync workers); Express: node {fleet.servers.node_version()}, "
        "one process; " + machine + " ==")
    out(f"Alternating runs ({len(per_round)} rounds, each (server, scenario) alone, rotating "
        "order; medians; x public is the median of same-round ratios):")
    out(f"  {'server':8} {'scenario':20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'x public':>9} {'server CPU µs/req':>18} {'wrk CPU':>8}")
    for (server, scenario), row in rows.items():
        out(f"  {server:8} {scenario:20} {row['rps']:7.0f} {row['p50_ms']:7.2f} "
            f"{row['p99_ms']:7.2f} {row['vs_public']:9.2f} {row['cpu_us']:18.0f} "
            f"{row['gen_cpu']:7.0%}")
    for scenario in ("public", "private (repeated)"):
        if (fleet.AA, scenario) in per_round[0]:
            out(f"  noise floor, A/A twin / ours req/s, {scenario}: "
                f"{load.server_ratio(per_round, fleet.AA, fleet.OURS, scenario):.2f}x")
    for scenario in load.EXPRESS_SCENARIOS:
        rps = load.server_ratio(per_round, fleet.OURS, "express", scenario)
        cpu = load.cpu_ratio(per_round, fleet.OURS, "express", scenario)
        out(f"  ours / Express, {scenario}: req/s {rps:.2f}x; server CPU per request, "
            f"Express / ours {cpu:.2f}x")


def dpop(measured, out=print):
    per_round = measured.get("dpop")
    if not per_round:
        return
    out(f"\n== DPoP / Bearer, same server, same run (mixed runs: public, Bearer, DPoP with a new "
        f"ES256 proof per request; {len(per_round)} rounds, medians) ==")
    out(f"  {'server':22} {'Bearer µs':>10} {'DPoP µs':>8} {'DPoP/Bearer CPU':>16} "
        f"{'DPoP capacity x Bearer':>23}")
    for name, row in load.dpop_table(per_round).items():
        store = "Redis (CACHE_URL)" if "Redis" in name else "the default replay store"
        out(f"  {name:22} {row['bearer_us']:10.0f} {row['dpop_us']:8.0f} "
            f"{row['cost_ratio']:16.2f} {row['capacity']:23.2f}   ({store})")
    out("  (µs: CPU inside Django per request; capacity includes gunicorn's and wrk's share)")


def base_cost(inproc, measured, out=print):
    if not inproc and not (measured and measured.get("peers")):
        return
    out("\n== Base cost of GET /api/public (median µs) ==")
    if inproc:
        full = inproc["full_us"]
        out("  in process, an instrumented copy of the production handler (config.settings):")
        for name, us in inproc["base"]:
            out(f"  {name[:78]:78} {us:6.1f} µs {us / full:4.0%}")
        out(f"  {'inside Django, in process (the whole request)':78} {full:6.1f} µs "
            f"(timed whole, uninstrumented: {inproc['timed_full_us']:.1f} µs; of it the "
            f"request object {inproc['request_object_us']:.1f} µs)")
        out(f"  {'outside Django: one gunicorn access log line':78} "
            f"{inproc['access_log_us']:6.1f} µs (the production logger and format, to /dev/null)")
    if measured and measured.get("peers"):
        ours = [r[fleet.OURS]["mixed"] for r in measured["peers"]]
        out(f"  {'in a gunicorn worker under load: inside Django':58} "
            f"{load.median(r['django_us']['public'] for r in ours):7.0f} µs")
        out(f"  {'   + gunicorn (HTTP parsing, connection, access log)':58} "
            f"{load.median(r['gunicorn_us'] for r in ours):7.0f} µs, of it kernel time at most "
            f"{load.median(r['system_us'] for r in ours):.0f} µs")
        quiet = [r[fleet.NO_ACCESS_LOG]["mixed"] for r in measured["peers"]
                 if fleet.NO_ACCESS_LOG in r]
        if quiet:
            table = load.peer_table(measured["peers"], fleet.OURS, {})[fleet.NO_ACCESS_LOG]
            line = load.median(a["gunicorn_us"] - b["gunicorn_us"] for a, b in zip(ours, quiet))
            out(f"  {'   gunicorn with the access log off (same rounds)':58} "
                f"{load.median(r['gunicorn_us'] for r in quiet):7.0f} µs; the log line in a "
                f"worker: {line:.0f} µs; protected capacity x ours "
                f"{table['capacity_vs_ours']:.2f} (CPU), req/s x ours {table['vs_ours']:.2f}")
        out(f"  {'   + wrk (the load generator, same cores)':58} "
            f"{load.median(r['wrk_us'] for r in ours):7.0f} µs")
    if measured and measured.get("express"):
        rows = load.alternating_table(measured["express"])
        out(f"  {'Express public route: node process CPU per request':58} "
            f"{rows[('express', 'public')]['cpu_us']:7.0f} µs (gunicorn + Django: "
            f"{rows[(fleet.OURS, 'public')]['cpu_us']:.0f} µs, same rounds)")


def hit_miss(inproc, measured, out=print):
    if not inproc:
        return
    us = inproc["hit_miss"]
    public, hit = us["public request"], us["private request, hit"]
    miss = us["private request, miss"]
    out("\n== A protected request: what a token-cache hit and a miss add "
        "(in process, median µs) ==")
    out(f"  public request {public:.1f}; private, hit {hit:.1f} (+{hit - public:.1f}); private, "
        f"miss {miss:.1f} (+{miss - hit:.1f} over the hit)")
    parts = [("authenticate(), all of it (hit)", us["authenticate() (hit)"]),
             ("  finding the credential (get_credential)",
             us["finding the credential (get_credential)"]),
             ("  verify(), hit", us["verify(), hit"]),
             ("    cache lookup", us["cache lookup"]),
             ("    key lookup (get_key)", us["key lookup (get_key)"]),
             ("    time checks (exp, nbf, iat)", us["time checks"]),
             ("    presented_as (a VerifiedToken per request)", us["presented_as"]),
             ("  TokenUser", us["TokenUser"]),
             ("permission check (IsAuthenticated)", us["permission (IsAuthenticated)"]),
             ("view body, private minus public",
              us["private view body"] - us["public view body"]),
             ("rendering, private body minus public",
              us["render private body"] - us["render public body"])]
    for name, value in parts:
        out(f"  {name:52} {value:7.2f} µs")
    explained = sum(v for n, v in parts if not n.startswith(" "))
    out(f"  {'audit':52}    none (it logs refusals only)")
    out(f"  {'rest of the hit (DRF authenticators, Request, checks)':52} "
        f"{hit - public - explained:7.2f} µs")
    out(f"  miss: verify() {us['verify(), miss']:.1f} µs (TokenVerifier alone "
        f"{us['TokenVerifier.verify (no cache)']:.1f}, of it the raw RSA verify "
        f"{us['raw RSA verify']:.1f}; cache put with eviction "
        f"{us['cache put (with eviction)']:.2f})"
        f"; in a request the miss adds {miss - hit:.1f}")
    if measured and measured.get("peers"):
        ours = [r[fleet.OURS]["mixed"] for r in measured["peers"]]
        delta = load.median(r["django_us"]["private (unique)"]
                            - r["django_us"]["private (repeated)"] for r in ours)
        out(f"  in a gunicorn worker under load, a miss adds {delta:.0f} µs of CPU inside Django")


def profiles(inproc, out=print):
    if not inproc or "profiles" not in inproc:
        return
    titles = {"hit": "a token-cache hit beyond a public request",
              "miss": "a miss beyond a hit"}
    for name, diff in inproc["profiles"].items():
        out(f"\n== cProfile: what {titles[name]} spends, by function (own time per request, "
            f"inflated by cProfile: shares, not costs; {diff['calls']:+.0f} calls per request "
            "in all, an exact count) ==")
        for function, us, calls in diff["top"]:
            out(f"  {function[-70:]:70} {us:7.1f} µs {calls:+6.1f} calls")


def rsa(inproc, measured, out=print):
    if not inproc:
        return
    figures = dict(inproc["rsa"])
    if measured and measured.get("peers"):
        probes = load.probe_us(measured["peers"])
        figures["inside a gunicorn worker under load (probe)"] = load.median(
            v for v in probes.values() if v == v)
    tight = figures["tight loop"]
    out("\n== Why the RSA verify costs more in a worker: one raw RSA-2048 verify, median µs ==")
    for name, value in figures.items():
        out(f"  {name:48} {fmt(value, '7.1f'):>7} µs  {fmt(value and value / tight, '.2f')}x")
    out("  (the in-process rows interleave their samples; the probe runs in the workers during "
        "the peer rounds)")


def footer(measured, out=print):
    if not measured:
        return
    out(f"\nload generator: {measured['generator']}; JWKS requests: "
        f"{measured['jwks_fetches']['warm-up']} at start and warm-up, "
        f"{measured['jwks_fetches']['timed']} during the timed runs")
    for name, rows in measured["memory"].items():
        values = [f"RSS {rss / 1024:.0f} / PSS {pss / 1024:.0f} MiB" for _, rss, pss in rows
                  if rss and pss]
        out(f"memory, warmed {name}: " + ("; ".join(values) or "n/a"))
