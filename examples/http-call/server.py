#!/usr/bin/env python3
"""A small shop API for the http-call example (standard library only).

    python3 server.py [PORT]        # default 8080; prints "listening on http://127.0.0.1:PORT"

GET  /quotes/<item>   -> {"item", "price", "currency"} (404 for unknown items)
POST /orders          -> form-encoded item, quantity, extras[] -> 201 {"orderId", "total", ...}
Every request must carry the header x-api-key: demo-key (else 401).
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRICES = {"book": 12.5, "pen": 1.25}
API_KEY = "demo-key"


class Shop(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if self.headers.get("x-api-key") != API_KEY:
            self.answer(401, {"message": "missing or wrong x-api-key"})
            return False
        return True

    def do_GET(self):
        if not self.authorized():
            return
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "quotes":
            item = parts[1]
            if item not in PRICES:
                return self.answer(404, {"message": f"no such item: {item}"})
            query = urllib.parse.parse_qs(url.query)
            return self.answer(200, {"item": item, "price": PRICES[item],
                                     "currency": query.get("currency", ["EUR"])[0]})
        self.answer(404, {"message": "not found"})

    def do_POST(self):
        if not self.authorized():
            return
        length = int(self.headers.get("content-length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if self.path != "/orders" or self.headers.get("content-type") != "application/x-www-form-urlencoded":
            return self.answer(400, {"message": "POST form-encoded orders to /orders"})
        item = form.get("item", [""])[0]
        quantity = int(form.get("quantity", ["1"])[0])
        if item not in PRICES:
            return self.answer(404, {"message": f"no such item: {item}"})
        self.answer(201, {"orderId": f"ord-{item}-{quantity}", "item": item, "quantity": quantity,
                          "extras": form.get("extras[]", []), "total": PRICES[item] * quantity})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = ThreadingHTTPServer(("127.0.0.1", port), Shop)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
