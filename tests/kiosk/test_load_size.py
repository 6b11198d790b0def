"""The kiosk's first load stays small: a tablet on a weak counter network opens it in a moment.

What a tablet fetches to show the home screen: the shell page (with the walk-up questionnaire and
both languages' texts in it), its stylesheet, script, icon and manifest. The budget is the figure
43 KB before the text size, "call staff", the idle prompt's three texts and the sticky buttons
(then 48 KB), with a little room; uncompressed bytes, so it does not depend on a proxy's gzip.
"""
from __future__ import annotations

import re

LOAD_BUDGET = 50 * 1024


def test_kiosk_first_load_fits_the_budget(client, kiosk, db_session):
    from tests.respond import factories as f

    with open("questionnaires/kiosk-quick.yaml", encoding="utf-8") as fh:   # the shipped walk-up form
        f.add_version(db_session, fh.read())
    db_session.commit()
    client.set_cookie("hl_device", kiosk["credential"], path="/kiosk")
    shell = client.get("/kiosk/")
    assert shell.status_code == 200
    body = shell.get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="([^"]+)"', body)
    assert {a.split("?")[0].rsplit("/", 1)[-1] for a in assets} >= {"kiosk.css", "kiosk.js", "icon.svg",
                                                                    "manifest.webmanifest"}
    sizes = {"shell": len(shell.data)}
    for url in assets:
        resp = client.get(url)
        assert resp.status_code == 200, url
        sizes[url.split("?")[0]] = len(resp.data)
        resp.close()
    total = sum(sizes.values())
    print("kiosk first load: %d bytes %s" % (total, sizes))
    assert total <= LOAD_BUDGET, sizes
