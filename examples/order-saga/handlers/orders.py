"""Order saga handlers: unmodified AWS Lambda Python handlers.

validate -> charge (a flaky payment gateway, retried) -> fulfil; when fulfilment
fails, refund undoes the charge (the saga's compensation).
"""
import uuid

# Module state lives as long as the warm process: the gateway's failure counter.
_gateway_attempts = {}


class ValidationError(Exception):
    pass


class PaymentGatewayTimeout(Exception):
    pass


class PaymentDeclined(Exception):
    pass


class OutOfStock(Exception):
    pass


def validate(event, context):
    items = event.get("items") or []
    if not event.get("orderId"):
        raise ValidationError("orderId is required")
    if not items:
        raise ValidationError("order %s has no items" % event["orderId"])
    total = sum(i["price"] * i.get("quantity", 1) for i in items)
    if total <= 0:
        raise ValidationError("order %s has a non-positive total" % event["orderId"])
    return {"orderId": event["orderId"], "total": round(total, 2)}


def charge(event, context):
    order = event["orderId"]
    attempt = _gateway_attempts.get(order, 0) + 1
    _gateway_attempts[order] = attempt
    # The test orders say how many times the gateway times out before answering.
    if attempt <= event.get("gatewayTimeouts", 0):
        raise PaymentGatewayTimeout("gateway timed out (attempt %d)" % attempt)
    if event.get("card") == "declined":
        raise PaymentDeclined("card declined for order %s" % order)
    return {"chargeId": "ch_" + uuid.uuid4().hex[:12], "amount": event["total"], "attempts": attempt}


def fulfil(event, context):
    for item in event["items"]:
        if item["sku"].startswith("OUT-OF-STOCK"):
            raise OutOfStock("%s is out of stock" % item["sku"])
    return {"shipmentId": "sh_" + uuid.uuid4().hex[:12], "items": len(event["items"])}


def refund(event, context):
    return {"refunded": event["charge"]["chargeId"], "amount": event["charge"]["amount"]}
