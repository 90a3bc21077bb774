"""A mistyped code gets a clear page that keeps what was typed; floods of wrong codes are slowed down
for the whole server, without remembering who sent them."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_of

WRONG = ("ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRT", "ABCD-EFGH-JKMN-PQRV", "ABCD-EFGH-JKMN-PQRW")


def _enter(app, typed: str, address: str, lang: str = "de"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    start = client.get(f"/?lang={lang}")
    return client.post("/", data={"code": typed, "csrf_token": csrf_of(start.text)})


def test_a_mistyped_code_is_explained_and_kept_for_correcting(app, make_wave):
    make_wave()
    response = _enter(app, "abcd efgh jkmn pqrs", "10.0.0.1")
    assert response.status_code == 404
    assert "Diesen Code kennen wir nicht" in response.text
    assert 'value="abcd efgh jkmn pqrs"' in response.text


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The rate limit's clock, moved by hand."""
    from survey.respond import throttle

    now = [1000.0]
    monkeypatch.setattr(throttle, "monotonic", lambda: now[0])
    return now


def test_unknown_codes_are_limited_for_the_whole_server_and_known_codes_still_get_in(
    app, make_wave, issue_codes, clock, tmp_path
):
    app.config.update(UNKNOWN_CODES_PER_MINUTE=6, UNKNOWN_CODES_BURST=2)
    code = issue_codes(make_wave(), 1)[0]
    database = (tmp_path / "test.sqlite").read_bytes()

    assert [_enter(app, WRONG[i], f"10.0.0.{i}").status_code for i in range(2)] == [404, 404]
    # A third address changes nothing: the limit is one for the server, not one per address.
    limited = _enter(app, WRONG[2], "10.0.0.9")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "10"
    assert "Bitte warten Sie einen Moment" in limited.text
    assert f'value="{WRONG[2]}"' in limited.text  # what was typed is kept for the next try
    assert '<header class="bar">' in limited.text  # the site's own layout
    assert _enter(app, code, "10.0.0.9").status_code == 302  # a real code is never held up

    clock[0] += 10
    assert _enter(app, WRONG[3], "10.0.0.1").status_code == 404
    english = _enter(app, WRONG[3], "10.0.0.1", lang="en")
    assert english.status_code == 429 and "Please wait a moment" in english.text
    # Entering codes, right or wrong, wrote nothing: no address, no time, no counter on disk.
    assert (tmp_path / "test.sqlite").read_bytes() == database


def test_the_limit_refills_at_its_rate_up_to_its_burst(clock):
    from survey.respond.throttle import TokenBucket

    bucket = TokenBucket(per_minute=60, burst=3)
    assert [bucket.take() for _ in range(4)] == [0, 0, 0, 1]
    clock[0] += 0.5
    assert bucket.take() == 1  # half a token: wait the other half, rounded up to whole seconds
    clock[0] += 3600
    assert [bucket.take() for _ in range(4)] == [0, 0, 0, 1]  # never more than the burst
