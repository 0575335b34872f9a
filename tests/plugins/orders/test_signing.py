"""Standard Webhooks signatures: the specification's test vector, rotation, tolerance, constant-time refusal."""

from __future__ import annotations

import pytest

from plugins.orders import signing

# The test vector published with the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_vector() -> None:
    assert signing.signature(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED
    headers = signing.sign([SECRET], MSG_ID, TIMESTAMP, BODY)
    assert headers == {"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP), "webhook-signature": EXPECTED}
    assert signing.verify([SECRET], headers, BODY, now=TIMESTAMP + 10) == (MSG_ID, TIMESTAMP)


def test_rotation_signs_with_both_and_either_verifies() -> None:
    new = signing.new_secret()
    headers = signing.sign([new, SECRET], MSG_ID, TIMESTAMP, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert signing.verify([SECRET], headers, BODY, now=TIMESTAMP)  # a receiver still on the old secret
    assert signing.verify([new], headers, BODY, now=TIMESTAMP)


@pytest.mark.parametrize(("change", "code"), [
    ({"webhook-signature": "v1,AAAA"}, "signature_invalid"),
    ({"webhook-signature": ""}, "signature_missing"),
    ({"webhook-timestamp": "yesterday"}, "timestamp_invalid"),
    ({"webhook-timestamp": str(TIMESTAMP - 301)}, "timestamp_out_of_tolerance"),
])
def test_refusals(change: dict[str, str], code: str) -> None:
    headers = {**signing.sign([SECRET], MSG_ID, TIMESTAMP, BODY), **change}
    with pytest.raises(signing.SignatureError) as raised:
        signing.verify([SECRET], headers, BODY, now=TIMESTAMP)
    assert raised.value.code == code


def test_a_tampered_body_is_refused() -> None:
    headers = signing.sign([SECRET], MSG_ID, TIMESTAMP, BODY)
    with pytest.raises(signing.SignatureError):
        signing.verify([SECRET], headers, BODY + b" ", now=TIMESTAMP)
