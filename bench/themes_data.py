"""Generated complaint calls with a planted root cause each, for the themes bench and tests.

Each root cause is a complaint script: several sentence shapes ("frames") whose slots are
filled from word pools, so two calls about the same cause often share few words ("I was
charged twice for my order" / "two identical payments came out of my account"). Generic
openers, closers and small talk are shared by every cause, and some causes share vocabulary
(bill, card, order, engineer), so the clustering has work to do. Transcripts only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance

WHEN = ["last week", "yesterday", "on monday", "three days ago", "this morning", "on the 12th",
        "a fortnight ago", "at the weekend", "two weeks ago", "on friday"]

CAUSES: dict[str, dict[str, list[str]]] = {
    "double_charge": {
        "frames": [
            "I was {charged} twice for the same {order}",
            "there are two identical {payments} on my {statement} for one {order}",
            "you took the {money} two times for my {order} {when}",
            "my {statement} shows a duplicate {payment} for the {order}",
            "I've been {charged} double, the {payment} went through twice",
            "the same {amount} came off my {card} twice {when}",
            "why is there a second {payment} for the {order} I only placed once",
        ],
        "charged": ["charged", "billed", "debited"],
        "order": ["order", "purchase", "booking", "transaction"],
        "payments": ["payments", "charges", "debits", "transactions"],
        "payment": ["payment", "charge", "debit", "transaction"],
        "statement": ["statement", "bank statement", "card statement", "account"],
        "money": ["money", "payment", "amount"],
        "amount": ["amount", "sum", "payment", "charge"],
        "card": ["card", "credit card", "debit card", "account"],
    },
    "refund_missing": {
        "frames": [
            "I returned the {item} {when} and I still haven't received my {refund}",
            "my {refund} was promised {when} but the {money} never showed up",
            "still waiting for the {refund} on the {item} I sent back",
            "you said the {money} would be {credited} within five days and it hasn't been",
            "where is my {refund}, the {item} went back to you {when}",
            "the {refund} for my {item} return has not been {credited} yet",
        ],
        "item": ["item", "jacket", "shoes", "parcel", "blender", "return"],
        "refund": ["refund", "reimbursement", "money back", "refund payment"],
        "money": ["money", "refund", "credit"],
        "credited": ["credited", "paid back", "returned", "refunded"],
    },
    "delivery_missing": {
        "frames": [
            "my {parcel} never arrived, the {tracking} says {delivered} {when}",
            "the {courier} claims it was {delivered} but there's no {parcel} here",
            "I've been waiting for my {parcel} since {when} and it's not here",
            "the {tracking} hasn't moved and the {parcel} is missing",
            "nothing turned up, the {courier} never came to my {door}",
            "the {parcel} was supposed to come {when} and it didn't arrive",
        ],
        "parcel": ["parcel", "package", "delivery", "order", "shipment"],
        "tracking": ["tracking", "tracking page", "tracking number", "app"],
        "delivered": ["delivered", "dropped off", "handed over"],
        "courier": ["courier", "driver", "delivery man", "postman"],
        "door": ["door", "house", "flat", "address"],
    },
    "damaged_item": {
        "frames": [
            "the {item} arrived {broken}, the {box} was {crushed}",
            "when I opened the {box} the {item} was {broken}",
            "my new {item} came {broken} with a big {crack} in it",
            "the {item} is {broken}, there's a {crack} right across the front",
            "it was {broken} on arrival, the {box} looked like someone stood on it",
            "the {glass} on the {item} is {smashed} and the {box} was {crushed}",
        ],
        "item": ["tv", "television", "monitor", "lamp", "mirror", "table", "vase"],
        "broken": ["damaged", "broken", "cracked", "smashed", "scratched"],
        "box": ["box", "packaging", "carton", "parcel"],
        "crushed": ["crushed", "dented", "torn open", "soaked"],
        "crack": ["crack", "dent", "scratch", "chip"],
        "glass": ["glass", "screen", "panel"],
        "smashed": ["smashed", "shattered", "cracked"],
    },
    "login_locked": {
        "frames": [
            "I can't log in to my {account}, it keeps saying my {password} is wrong",
            "I'm locked out of the {account} after the {reset}",
            "the {reset} {email} never comes so I cannot log in",
            "every time I try to sign in it says {error} and I'm locked out",
            "my {password} stopped working and the {account} is locked",
            "the {code} for signing in never arrives and I can't get into my {account}",
        ],
        "account": ["account", "online account", "profile", "portal", "app"],
        "password": ["password", "pin", "passcode", "login details"],
        "reset": ["password reset", "reset", "reset link", "verification"],
        "email": ["email", "link", "message", "text"],
        "error": ["invalid credentials", "error", "access denied", "login failed"],
        "code": ["code", "verification code", "one-time code", "security code"],
    },
    "internet_outage": {
        "frames": [
            "my {internet} keeps dropping every {interval}",
            "the {internet} has been down since {when}",
            "the {router} lights are red and there's no {internet}",
            "the {connection} cuts out all the time, I work from home",
            "I've had no {internet} {when}, the {router} just blinks",
            "the {speed} is terrible and the {connection} drops out",
            "there's an outage in my area and my {connection} is dead",
        ],
        "internet": ["internet", "broadband", "wifi", "connection", "fibre"],
        "interval": ["hour", "few minutes", "evening", "ten minutes"],
        "router": ["router", "hub", "modem", "box"],
        "connection": ["connection", "internet", "wifi", "line", "broadband"],
        "speed": ["speed", "signal", "bandwidth"],
    },
    "flight_cancelled": {
        "frames": [
            "my {flight} to {city} was cancelled and nobody told me",
            "you cancelled my {flight} {when} and I need to be {rebooked}",
            "the {airline} cancelled the {flight} and there's no {alternative}",
            "I turned up at the {airport} and my {flight} was cancelled",
            "my {flight} got cancelled, I need a new {alternative} to {city}",
            "the {flight} was scrapped and I'm stuck at the {airport}",
        ],
        "flight": ["flight", "connection", "plane", "departure"],
        "city": ["madrid", "boston", "rome", "dublin", "chicago", "lisbon"],
        "rebooked": ["rebooked", "moved", "put on another flight"],
        "airline": ["airline", "carrier", "you"],
        "alternative": ["alternative", "flight", "option", "seat"],
        "airport": ["airport", "gate", "terminal", "check-in desk"],
    },
    "wrong_item": {
        "frames": [
            "you sent me the wrong {item}, I ordered a {size} and got a {other}",
            "the {item} in the {box} isn't what I ordered",
            "I got someone else's {item}, completely the wrong {thing}",
            "wrong {thing} delivered, I asked for {colour} and it came in a different {thing}",
            "the {item} is the wrong {size}, not what's on my {receipt}",
            "this isn't my {item}, the {receipt} says one thing and the {box} has another",
        ],
        "item": ["shirt", "dress", "phone case", "sofa cover", "trainers", "coat"],
        "size": ["medium", "large", "size ten", "small"],
        "other": ["small", "extra large", "size six", "kids size"],
        "box": ["box", "parcel", "package", "bag"],
        "thing": ["colour", "model", "size", "product", "style"],
        "colour": ["blue", "black", "green", "red"],
        "receipt": ["receipt", "order confirmation", "invoice", "order"],
    },
    "technician_no_show": {
        "frames": [
            "the {engineer} was booked for {when} and never showed up",
            "I took a day off work and the {engineer} didn't come",
            "nobody turned up for the {appointment}, I waited in all {day}",
            "your {engineer} missed the {appointment} and no one called",
            "the {appointment} window came and went, no {engineer}",
            "I stayed home for the {install} {appointment} and nobody came",
        ],
        "engineer": ["engineer", "technician", "installer", "fitter"],
        "appointment": ["appointment", "visit", "booking", "slot"],
        "day": ["day", "morning", "afternoon"],
        "install": ["installation", "repair", "boiler service", "meter fitting"],
    },
    "app_crash": {
        "frames": [
            "the {app} crashes every time I open the {screen}",
            "since the {update} the {app} keeps crashing",
            "the {app} freezes and closes when I try to {action}",
            "your {app} just shows a blank {screen} and then it crashes",
            "after the latest {update} the {app} won't even start on my {phone}",
            "I tap {action} and the whole {app} shuts down",
        ],
        "app": ["app", "mobile app", "application"],
        "screen": ["screen", "home page", "dashboard", "menu"],
        "update": ["update", "new version", "upgrade"],
        "action": ["pay", "check out", "view my bills", "upload a photo"],
        "phone": ["phone", "iphone", "android", "tablet"],
    },
    "card_declined": {
        "frames": [
            "my {card} was declined at the {shop} even though there's {money} in the account",
            "the {payment} keeps getting declined at {checkout}",
            "I tried to pay at the {shop} and the {card} was refused",
            "my {card} got declined {when}, it was so embarrassing",
            "every {payment} I make is rejected, the {card} isn't working",
            "the {terminal} says declined every time I use my {card}",
        ],
        "card": ["card", "debit card", "credit card", "bank card"],
        "shop": ["shop", "supermarket", "petrol station", "restaurant", "till"],
        "money": ["money", "funds", "plenty of money"],
        "payment": ["payment", "purchase", "transaction"],
        "checkout": ["checkout", "the till", "online checkout"],
        "terminal": ["terminal", "card machine", "reader", "website"],
    },
    "unexpected_fee": {
        "frames": [
            "there's a {fee} on my {bill} I never agreed to",
            "my {bill} went up because of some {fee} nobody mentioned",
            "why am I paying a {fee} for {service}, that was never in the {contract}",
            "a new {fee} appeared on this month's {bill}",
            "you added a {fee} to my {bill} without telling me",
            "the {bill} is higher than usual, there's an extra {fee} on it",
        ],
        "fee": ["fee", "admin fee", "service charge", "late payment fee", "surcharge",
                "hidden charge"],
        "bill": ["bill", "invoice", "statement", "monthly bill"],
        "service": ["paper billing", "paying by card", "support", "the account"],
        "contract": ["contract", "agreement", "terms", "plan"],
    },
    "rude_staff": {
        "frames": [
            "the {person} I spoke to {when} was really rude to me",
            "your {person} hung up on me and was {rude}",
            "I was treated {rude} by the {person} in the {store}",
            "the {person} laughed at me and refused to help, so {rude}",
            "I want to complain about how {rude} your {person} was",
            "the last {person} was {rude} and talked down to me",
        ],
        "person": ["agent", "staff member", "manager", "advisor", "cashier"],
        "rude": ["rude", "disrespectful", "dismissive", "condescending", "unprofessional"],
        "store": ["store", "branch", "shop", "phone line"],
    },
    "cancel_still_billed": {
        "frames": [
            "I cancelled my {subscription} {when} but you're still taking {payments}",
            "I'm still being {billed} for a {subscription} I cancelled",
            "the {subscription} was cancelled and the {payments} keep coming out",
            "you keep {billing} me even though I ended the {subscription}",
            "I asked to cancel {when} and there's another {payment} this month",
            "my {subscription} should have stopped, why is the {payment} still going out",
        ],
        "subscription": ["subscription", "membership", "plan", "contract", "direct debit"],
        "payments": ["payments", "money", "direct debits", "monthly payments"],
        "payment": ["payment", "direct debit", "charge"],
        "billed": ["billed", "charged", "debited"],
        "billing": ["billing", "charging", "debiting"],
    },
}

OPENERS = ["", "", "Hi, yeah, I have a problem. ", "Hello. There's an issue. ",
           "I'm really frustrated. ", "This is the third time I'm calling. ",
           "Um, hi, so ", "Yes hello, I need to complain. ", "Honestly this is ridiculous, ",
           "I'm calling because ", "Good morning. ", "Right, so, "]
CLOSERS = ["", "", " Can you sort it out?", " This is unacceptable.", " I'm fed up.",
           " What are you going to do about it?", " I need this fixed today.",
           " It's not good enough."]
FOLLOWUPS = ["Okay.", "Yes, that's right.", "Fine.", "Mm-hmm.", "Sure, go ahead.",
             "Okay, thank you.", "Yeah."]
COMPANIES = ["Northwind", "Acme", "Brightline", "Cobalt"]
AGENTS = ["maria.lopez", "dan.okafor", "sam.chen", "priya.sharma", "omar.haddad",
          "lena.moreau", "kofi.mensah", "ines.silva"]
QUEUES = {"double_charge": "billing", "refund_missing": "billing",
          "unexpected_fee": "billing", "cancel_still_billed": "billing",
          "card_declined": "cards", "delivery_missing": "orders", "damaged_item": "orders",
          "wrong_item": "orders", "login_locked": "tech", "internet_outage": "tech",
          "app_crash": "tech", "technician_no_show": "field", "flight_cancelled": "travel",
          "rude_staff": "general"}


@dataclass
class PlantedCall:
    """A generated call, its planted root cause and its manifest-like details."""

    transcript: Transcript
    cause: str
    when: datetime
    customer: str
    queue: str


def _fill(frame: str, pools: dict[str, list[str]], rng: random.Random) -> str:
    out = frame
    while "{" in out:
        start = out.index("{")
        key = out[start + 1:out.index("}", start)]
        pool = WHEN if key == "when" else pools[key]
        out = out[:start] + rng.choice(pool) + out[out.index("}", start) + 1:]
    return out


def complaint(cause: str, rng: random.Random) -> str:
    """One sentence stating the cause, in one of its many wordings."""
    pools = CAUSES[cause]
    sentence = _fill(rng.choice(pools["frames"]), pools, rng)
    return sentence[0].upper() + sentence[1:] + "."


def make_call(call_id: str, cause: str, rng: random.Random) -> Transcript:
    """A short call: greeting, the complaint (one or two wordings), the agent's answer."""
    company, agent = rng.choice(COMPANIES), rng.choice(AGENTS)
    first = rng.choice(OPENERS) + complaint(cause, rng) + rng.choice(CLOSERS)
    lines = [
        (AGENT, f"Thank you for calling {company}, this is {agent.split('.')[0].title()}, "
                "how can I help you today?"),
        (CUSTOMER, first),
        (AGENT, rng.choice(["I'm sorry to hear that. Can I take your account number?",
                            "Okay, let me have a look at that for you.",
                            "I see. Can you confirm your postcode please?",
                            "Right, let me check."])),
        (CUSTOMER, rng.choice(FOLLOWUPS)),
    ]
    if rng.random() < 0.5:
        lines.append((AGENT, "And what exactly happened?"))
        lines.append((CUSTOMER, "Like I said, " + complaint(cause, rng).lower()))
    lines += [
        (AGENT, rng.choice(["I've raised this and you'll get an email within 24 hours.",
                            "I've sorted that now, it will be done by Friday.",
                            "I'll pass this to the team and they will call you back.",
                            "That's been logged, you should see it fixed in three days."])),
        (CUSTOMER, rng.choice(["Okay, thanks.", "Fine, bye.", "Thank you.", "Right."])),
        (AGENT, f"Thanks for calling {company}, have a good day."),
    ]
    utterances, t = [], 0.0
    for speaker, text in lines:
        length = 1.5 + len(text.split()) * 0.35
        utterances.append(Utterance(speaker, round(t, 2), round(t + length, 2), text))
        t += length + rng.uniform(0.3, 1.2)
    return Transcript(call_id, utterances, agent=agent, duration=round(t + 5, 2))


def generate(n: int, seed: int, end: datetime, weeks: int = 12, prefix: str = "call",
             causes: list[str] | None = None) -> list[PlantedCall]:
    """``n`` calls spread over ``weeks`` weeks ending at ``end``; causes drawn with uneven
    frequencies; about one customer in six calls again about the same cause."""
    rng = random.Random(seed)
    names = causes or sorted(CAUSES)
    weights = [1.0 + (i % 4) * 0.5 for i in range(len(names))]
    calls: list[PlantedCall] = []
    for i in range(n):
        if calls and rng.random() < 0.15:
            earlier = rng.choice(calls[-200:])
            cause, customer = earlier.cause, earlier.customer
        else:
            cause = rng.choices(names, weights)[0]
            customer = f"cust-{seed}-{i:05d}"
        when = end - timedelta(minutes=rng.randrange(weeks * 7 * 24 * 60))
        call_id = f"{prefix}-{i:05d}"
        calls.append(PlantedCall(make_call(call_id, cause, rng), cause, when, customer,
                                 QUEUES[cause]))
    return calls
