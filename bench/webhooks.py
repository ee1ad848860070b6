"""Payment webhooks: requests handled per second and server time through the whole stack
(middleware, signature check over the raw body, store-once, outbox emit), against a bare view in
the same process that only checks the same HMAC-SHA512 signature and answers.

    python bench/webhooks.py --requests 2000

Target: p95 < 50 ms. Each delivery is a distinct charge (new event id); a replay share is sent too.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

urlpatterns = []  # filled in main() for the bare reference view


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    _common.production_like()
    os.environ["CLASSPOINT_DEV_PAYMENTS_DEMO_SECRET"] = "bench-demo-secret"
    url = _common.setup()
    from django.db import connection
    from django.http import JsonResponse
    from django.test import Client

    from fees import services as fees
    from payments import services as payments
    from payments.gateways import get_gateway
    from schools.models import Enrollment, Student

    school = _common.provision_bench_school(f"bench-hooks-{int(time.time() * 1000) % 10**9}", "Bench Webhooks")
    term, group = school.current_term(), school.class_groups.first()
    item = fees.fee_item_create(school=school, actor=None, code="t", name="Tuition")
    fees.fee_schedule_create(
        school=school,
        actor=None,
        term=term,
        class_group=group,
        name="S",
        lines=[{"fee_item": item, "amount_minor": 5_000_000}],
    )
    student = Student.objects.create(school=school, admission_number="H1", first_name="H", last_name="One")
    Enrollment.objects.create(school=school, student=student, term=term, class_group=group)
    invoice = fees.invoice_issue(
        invoice=fees.invoice_create(school=school, actor=None, student=student, term=term), actor=None
    )
    intent = payments.intent_create(invoice=invoice, actor=None, gateway_name="demo", email="b@x.ng")
    gateway = get_gateway("demo")
    secret = gateway.secret().encode()

    def body(i):
        return json.dumps(
            {
                "event": "charge.success",
                "data": {
                    "id": f"bench-{time.time_ns()}-{i}",
                    "reference": intent.reference,
                    "amount": intent.amount_minor,
                    "currency": intent.currency,
                },
            }
        ).encode()

    client = Client()
    samples, replays = [], []
    for i in range(args.requests):
        raw = body(i)
        headers = {"HTTP_X_DEMO_SIGNATURE": gateway.sign(raw)}
        t0 = time.perf_counter()
        response = client.post("/payments/webhook/demo/", raw, content_type="application/json", **headers)
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
        if i % 10 == 0:  # a replay of the same delivery
            t0 = time.perf_counter()
            client.post("/payments/webhook/demo/", raw, content_type="application/json", **headers)
            replays.append(time.perf_counter() - t0)

    def bare_view(request):
        given = request.headers.get("x-demo-signature", "")
        ok = hmac.compare_digest(hmac.new(secret, request.body, hashlib.sha512).hexdigest().encode(), given.encode())
        return JsonResponse({"received": ok}, status=200 if ok else 401)

    # The reference goes through the same client and middleware stack, on a URLconf of its own.
    from django.test import override_settings
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    global urlpatterns
    urlpatterns = [path("bare/", csrf_exempt(bare_view))]
    bare = []
    with override_settings(ROOT_URLCONF=__name__):
        for i in range(args.requests):
            raw = body(i)
            t0 = time.perf_counter()
            response = client.post(
                "/bare/", raw, content_type="application/json", HTTP_X_DEMO_SIGNATURE=gateway.sign(raw)
            )
            bare.append(time.perf_counter() - t0)
            assert response.status_code == 200
    full, rep, ref = _common.summary_ms(samples), _common.summary_ms(replays), _common.summary_ms(bare)
    per_s = round(len(samples) / sum(samples))
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "database": connection.vendor,
        "requests": args.requests,
        "webhook": full,
        "webhook_per_s": per_s,
        "replay": rep,
        "bare_signature_view": ref,
        "p50_ratio_to_bare": round(full["p50_ms"] / ref["p50_ms"], 1),
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  webhooks: {args.requests} (+{len(replays)} replays)")
    print(f"webhook (full stack)   : p50 {full['p50_ms']} ms  p95 {full['p95_ms']} ms  {per_s}/s sequential")
    print(f"replayed delivery      : p50 {rep['p50_ms']} ms  p95 {rep['p95_ms']} ms")
    ratio = result["p50_ratio_to_bare"]
    print(f"bare signature view    : p50 {ref['p50_ms']} ms  p95 {ref['p95_ms']} ms  (ratio p50 {ratio}x)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
