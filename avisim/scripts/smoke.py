#!/usr/bin/env python3
"""Independent smoke client for avisim (or a real Avi controller): Python stdlib only.

Logs in, creates a VsVip (IPAM) / Pool / L4PolicySet / VirtualService, reads by name, hits a
409, an in-use delete, a VIP change, then deletes everything in reverse order. Prints one line
per step and exits non-zero on the first surprise.

    python3 avisim/scripts/smoke.py https://127.0.0.1:9443 admin PASSWORD --ca /tmp/avisim-ca.pem
"""

import argparse
import http.cookiejar
import json
import ssl
import sys
import urllib.error
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("username")
    ap.add_argument("password")
    ap.add_argument("--ca")
    ap.add_argument("--version", default="22.1.3")
    ap.add_argument("--network", default="vip-net")
    a = ap.parse_args()

    ctx = ssl.create_default_context(cafile=a.ca) if a.ca else None
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ctx)
    )

    def call(method, path, body=None, expect=None):
        csrf = next((c.value for c in jar if c.name == "csrftoken"), "")
        headers = {"Content-Type": "application/json", "Referer": a.base,
                   "X-Avi-Version": a.version, "X-Avi-Tenant": "admin", "X-CSRFToken": csrf}
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(a.base + path, data=data, method=method, headers=headers)
        try:
            with opener.open(req) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        print(f"{method:6} {path:45} -> {status} {str(parsed)[:110]}")
        if expect is not None and status != expect:
            sys.exit(f"expected {expect}, got {status}")
        return parsed

    call("POST", "/login", {"username": a.username, "password": a.password}, 200)
    names = {c.name for c in jar}
    assert {"csrftoken", "sessionid", "avi-sessionid"} <= names, names
    vip = call("POST", "/api/vsvip", {"name": "smoke-vip", "vip": [{"vip_id": "0", "auto_allocate_ip": True,
               "ipam_network_subnet": {"network_ref": f"/api/network?name={a.network}"}}]}, 201)
    addr = vip["vip"][0]["ip_address"]["addr"]
    pool = call("POST", "/api/pool", {"name": "smoke-pool", "servers": [{"ip": {"addr": "10.1.1.1", "type": "V4"}, "port": 80}],
                "health_monitor_refs": ["/api/healthmonitor?name=System-TCP"]}, 201)
    l4 = call("POST", "/api/l4policyset", {"name": "smoke-l4", "l4_connection_policy": {"rules": [{
        "name": "r0", "index": 0,
        "match": {"port": {"match_criteria": "IS_IN", "ports": [80]},
                  "protocol": {"match_criteria": "IS_IN", "protocol": "PROTOCOL_TCP"}},
        "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL", "pool_ref": "/api/pool?name=smoke-pool"}}}]}}, 201)
    vs = call("POST", "/api/virtualservice", {"name": "smoke-vs", "services": [{"port": 80}],
              "application_profile_ref": "/api/applicationprofile?name=System-L4-Application",
              "vsvip_ref": vip["url"], "l4_policies": [{"index": 0, "l4_policy_set_ref": l4["url"]}]}, 201)
    found = call("GET", "/api/virtualservice?name=smoke-vs", None, 200)
    assert found["count"] == 1, found
    call("POST", "/api/pool", {"name": "smoke-pool"}, 409)
    err = call("DELETE", f"/api/pool/{pool['uuid']}", None, 400)
    assert err["error"].startswith("Cannot delete, object is referred by"), err
    other = addr.rsplit(".", 1)[0] + ".250"
    err = call("PUT", f"/api/vsvip/{vip['uuid']}", {"name": "smoke-vip", "vip": [{"vip_id": "0", "auto_allocate_ip": True,
               "ip_address": {"addr": other, "type": "V4"},
               "ipam_network_subnet": {"network_ref": f"/api/network?name={a.network}"}}]}, 400)
    assert "recreate the VIP" in err["error"], err
    for kind, obj in [("virtualservice", vs), ("l4policyset", l4), ("pool", pool), ("vsvip", vip)]:
        call("DELETE", f"/api/{kind}/{obj['uuid']}", None, 204)
    call("GET", f"/api/pool/{pool['uuid']}", None, 404)
    call("POST", "/logout", None, 200)
    print("smoke: OK")


if __name__ == "__main__":
    main()
