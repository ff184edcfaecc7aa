"""Blame and defensive language: fault put on the customer, a colleague, another department, a
partner or "the system"; "that's not my department"; "there's nothing I can do".

Built as a small grammar rather than a list of sentences: an *agent of fault* (the customer,
a third party such as a courier, contractor, app, colleague, team or "their system") with a
*fault predicate* ("messed it up", "always get it wrong", "never scanned it", "must have typed
it wrong"), an *attribution* of the problem to someone else ("that's normally the courier",
"that's down to the bank", "that's on him"), a *disowning contrast* ("..., not us") or a
*defensive refusal* ("nothing I can do", "you'll have to take it up with them"). Neutral facts
about a third party ("the courier scans parcels at the depot") have no fault predicate and are
not blame. The rubric's ``blame_phrases`` add a team's own wording on top.
"""

from __future__ import annotations

import re

from qa.detectors.common import agent_finding, agent_sentences
from qa.detectors.contract import PROBLEM, Criterion, Label
from qa.detectors.phrasing import through_clause
from qa.findings import COACHING, CriterionScore, Finding, clamp_score
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, normalize
from qa.transcript import Transcript

CONTRACT = Criterion(
    "blame", "No blame",
    labels=(
        Label("blame", PROBLEM,
              "Putting the fault on the customer, a colleague or the system", evaluated=True),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "blame_phrases": PHRASES,
    "not_blame_phrases": PHRASES,
    "points_per_instance": NUMBER,
}

# Someone other than the agent and the company: partners, colleagues, other teams, systems.
_THIRD = (
    r"(?:(?:the|that|those|these|their|your|a|an|this|our\s+(?:other|previous))\s+)?"
    r"(?:[a-z]+\s+){0,2}?"
    r"(?:courier|couriers|carrier|carriers|driver|drivers|delivery\s+(?:company|firm|guy|guys|"
    r"partner|people)|post\s+office|postman|postie|warehouse|depot|contractor|contractors|"
    r"subcontractor|installer|installers|technician|tech|engineer|engineers|fitter|fitters|"
    r"plumber|builder|partner|partners|supplier|suppliers|manufacturer|vendor|third[\s-]party|"
    r"airline|hotel|bank|restaurant|restaurants|kitchen|app|apps|website|site|sites|agency|"
    r"colleague|colleagues|guy|guys|lady|person|agent|advisor|adviser|rep|representative|"
    r"operator|employee|manager|supervisor|"
    r"front\s+desk|reception|billing|department|team|office|head\s+office|it\s+(?:department|"
    r"team|support|people)|system|systems|finance|accounts|claims|sales|dispatch|logistics|"
    r"returns|payroll|hr|legal|compliance|underwriting|fulfilment|fulfillment|maintenance|"
    r"housekeeping|security|"
    r"computer|software|server|network|provider|insurer|landlord|store|shop|branch|clinic|"
    r"surgery|pharmacy|attendant|gate\s+staff|staff|crew|secretaries|retailer|seller|merchant|"
    r"dealer|garage|ups|fedex|dhl|usps|royal\s+mail|hermes|evri|dpd|parcelforce|"
    r"scheduling\s+system|booking\s+system|they|them|he|she|him|her|someone\s+else|"
    r"whoever(?:\s+\w+){1,4}?)"
    # "the guy you spoke to before", "the person who took your booking"
    r"(?:\s+(?:(?:who|that)\s+)?you\s+(?:spoke|talked|dealt)\s+(?:to|with)(?:\s+(?:before|earlier|"
    r"last\s+time|yesterday|on\s+\w+))?|\s+who\s+(?:took|booked|handled|dealt\s+with)\s+\w+(?:\s+\w+)?)?"
)
_FAULT = (
    r"(?:(?:messed|screwed|mucked|cocked|stuffed|fouled)\s+(?:it\s+|this\s+|that\s+|things\s+)?up|"
    r"botched|got\s+(?:it|this|that|the\s+\w+)\s+wrong|(?:did|done|set)\s+(?:it|this|that|them)\s+"
    r"(?:up\s+)?wrong|(?:get|gets)\s+(?:it|things|stuff|these|"
    r"them|this|the\s+\w+|\w+)\s+wrong|made\s+(?:a|an)\s+(?:\w+\s+)?(?:mistake|error|mess|hash)|"
    r"mixed\s+(?:it|them|things|\w+)\s+up|dropped\s+the\s+ball|"
    r"(?:didn't|did\s+not|never|failed\s+to|forgot\s+to|neglected\s+to|hasn't|haven't|has\s+not)"
    r"\s+(?:\w+\s+)?(?:upload|uploaded|scan|scanned|log|logged|send|sent|update|updated|pass|"
    r"passed|process|processed|tell|told|book|booked|record|recorded|put|follow|followed|show|"
    r"turn|deliver|delivered|load|loaded|check|checked|call|called|create|created|approve|"
    r"approved|file|filed|enter|entered|register|registered|bother|inform|informed|submit|"
    r"submitted|fix|install|repair|connect|configure|test|set\s+up)|"
    r"(?:didn't|did\s+not|never)\s+\w+\s+(?:it|that|this|them|the\s+\w+)\s+(?:properly|right|"
    r"correctly)|"
    r"lost\s+(?:it|them|your|the)|left\s+it\s+(?:on|in|at|outside|with)|(?:is|are)\s+to\s+blame|"
    r"(?:is|are)\s+(?:always\s+|so\s+|really\s+|just\s+)?(?:useless|hopeless|rubbish|terrible|"
    r"notorious|unreliable|a\s+nightmare|always\s+late|always\s+slow|so\s+slow|"
    r"notoriously\s+\w+|incompetent|the\s+(?:problem|issue))|"
    # An intensified judgement of someone's work, with or without a copula: "they're pretty
    # slack at updating us", "the depot is really sloppy".
    r"(?:(?:pretty|really|so|quite|very|notoriously|a\s+bit|a\s+little|bit|always|just)\s+)+"
    r"(?:slack|sloppy|careless|lazy|useless|hopeless|rubbish|terrible|incompetent|unreliable|"
    r"disorganised|disorganized|bad\s+(?:at|about|with))\b|"
    r"always\s+(?:get|gets|mess|messes|lose|loses|mix|mixes|forget|forgets|do\s+this|"
    r"does\s+this|screw|screws)|glitched|crashed|(?:won't|wouldn't|doesn't|didn't)\s+let\s+me|"
    r"(?:won't|doesn't)\s+allow|(?:was|were)\s+(?:super\s+|really\s+|very\s+)?slow|"
    r"used\s+the\s+wrong|(?:holding|slowing)\s+(?:it|things|them|this|that)\s+up|(?:sent|gave|put|set)\s+(?:it|you|them)?\s*(?:to\s+)?the\s+wrong)"
)
# Duties only a person or a team has: "the tech should've called you".
_DUTY = (r"(?:should\s+have|should've|shouldn't\s+have|"
         r"(?:(?:was|were|is|are)\s+|(?<=')re\s+|(?<=')s\s+)(?:supposed|meant)\s+to)")
_FIRST_PERSON_SUBJECT = re.compile(r"^(?:i|we|i'm|we're|i've|we've|i'd|we'd|us|our)\b")

# Words that cannot name the one at fault ("australia post stuffed it up" can).
_NOT_A_NAME = (r"(?!(?:i|we|you|that|this|it|which|who|there|what|us|one|everything|nothing|"
               r"anything|something|he|she|they|then|and|so|but|our|my|we've|i've|we're|i'm|"
               r"well|okay|ok|yeah|right|oh|um|uh|sorry|honestly)\b)")
# (who is blamed, pattern, the fault predicate it needs said first, or None).
_RULES: list[tuple[str, re.Pattern[str], str | None]] = [
    # The customer's error or omission: "you must have typed the code wrong", "you didn't tell
    # us", "you should have read the terms", "that would have been on you".
    ("the customer", re.compile(
        r"\byou(?:'ve)?\s+(?:must|probably|obviously|clearly|might|may)\s+(?:have\s+|'ve\s+)?"
        r"(?:\w+\s+)?(?:typed|entered|put|clicked|selected|picked|chosen|chose|ordered|booked|"
        r"misread|missed|forgotten|got|given|deleted|ignored|skipped|used|set|done|made|"
        r"misunderstood|mistyped|bought|paid|signed|logged|registered|installed|downloaded|"
        r"subscribed|knocked|switched|turned|unplugged|pressed|changed|reset|left|dropped)\b(?!\s+(?:a\s+)?(?:call|email|letter|text|message|"
        r"notification)\b)"), None),
    ("the customer", re.compile(
        r"(?<!\bthat\s)(?<!\bwhich\s)"
        r"\byou\s+(?:just\s+|simply\s+|obviously\s+|clearly\s+|probably\s+)?(?:didn't|did\s+not|"
        r"never|forgot\s+to|failed\s+to|neglected\s+to|haven't|"
        r"hadn't|have\s+not|had\s+not)\s+(?:even\s+|actually\s+)?(?:tell|mention|say|inform|let\s+"
        r"us\s+know|update|read|check|follow|send|submit|fill|attach|register|include|provide|"
        r"give|pay|confirm|verify|activate|return|notify|report|contact|cancel|opt|tick|save|"
        r"keep|back\s+up|sign|book|enter|upload|turn\s+on|switch)\b"
        r"|(?<!\bthat\s)(?<!\bwhich\s)\byou\s+(?:never|forgot\s+to)\s+(?:even\s+|actually\s+)?(?:told|mentioned|said|informed|"
        r"updated|read|checked|followed|sent|submitted|filled|attached|registered|included|"
        r"provided|gave|paid|confirmed|verified|activated|returned|notified|reported|contacted|"
        r"cancelled|canceled|ticked|saved|kept|signed|booked|entered|uploaded|let\s+us\s+know)\b"),
     None),
    ("the customer", re.compile(
        r"\byou\s+(?:typed|entered|put|gave\s+us|clicked|selected|chose|picked|booked|ordered|"
        r"filled|spelt|spelled)\b[^.]*?\b(?:wrong|wrongly|incorrect|incorrectly|by\s+mistake)\b"
        r"|\b(?:on|from|at)\s+your\s+(?:\w+\s+)?(?:end|side)\b|\byour\s+(?:fault|mistake|error|problem)\b"
        r"|\b(?:that's|that\s+is|it's|it\s+is|that\s+would\s+have\s+been|that\s+was)\s+on\s+you\b"
        r"|\buser\s+error\b|\byou(?:'re|\s+are)\s+the\s+one\b|\byou(?:'re|\s+were|\s+are)\s+(?:supposed|meant|required|expected)\s+to\b"
        r"|\bif\s+you(?:'d|\s+had)\s+(?:just\s+|actually\s+)?(?:read|checked|called|told|looked|kept|"
        r"followed|updated|listened|waited)\b"
        # What the customer could or ought to have done: "you could've brought it back".
        r"|\byou\s+(?:should|could|ought\s+to)(?:'ve|\s+have)\s+(?:just\s+|easily\s+)?"
        r"(?!(?:it|them|a|an|the|your|received|got|gotten|heard|seen|had|been|lost)\b)\w+"
        # The customer's duty: "it's up to you to", "that's your responsibility", "you kinda
        # need to keep your list up to date, otherwise ..."
        r"|\b(?:it's|it\s+is|that's|that\s+is|it\s+was)\s+(?:really\s+)?up\s+to\s+you\b"
        r"|\b(?:your|the\s+customer's|the\s+patient's|the\s+account\s+holder's)\s+"
        r"responsibility\b"
        r"|\byou\s+(?:kinda\s+|kind\s+of\s+|sort\s+of\s+|really\s+|do\s+|just\s+)?(?:need|have|"
        r"got)\s+to\s+[^.]*?\botherwise\b"
        # Rules the customer was shown: "it says so right on the screen", "the terms were
        # displayed", "tapping it counts as accepting".
        r"|\bit\s+(?:says|said|states|stated|tells\s+you)\s+(?:so\s+|that\s+|this\s+)?"
        r"(?:right\s+|clearly\s+|quite\s+clearly\s+|plainly\s+)?(?:on|in)\s+the\s+(?:screen|terms|"
        r"page|website|email|app|form|contract|booking|confirmation|notification|letter|policy)\b"
        r"|\b(?:terms|conditions|policy|rules|information|warning|notice|price|fee|charges?)\s+"
        r"(?:were|was|is|are)\s+(?:clearly\s+|all\s+)?(?:displayed|shown|stated|listed|explained|"
        r"visible|disclosed|on\s+the\s+screen)\b"
        r"|\bcounts\s+as\s+(?:accepting|agreeing|consent|acceptance|confirming)\b"
        # Customers in general as the cause: "most of the time people just haven't looked".
        r"|\b(?:people|customers|most\s+people|a\s+lot\s+of\s+(?:people|customers)|folks)\s+"
        r"(?:just\s+|always\s+|often\s+|usually\s+|normally\s+)?(?:don't|didn't|haven't|never|"
        r"forget\s+to|fail\s+to|can't\s+be\s+bothered\s+to)\s+(?:\w+\s+)?(?:look|looked|read|check|"
        r"checked|follow|followed|listen|bother)\b"
        # The record against the customer's word: "the meter doesn't lie".
        r"|\b(?:\w+)\s+(?:doesn't|don't|does\s+not|do\s+not|can't|cannot|never|won't)\s+lie\b"
        # What "we ask" customers to do, said as a reproach: "sorry, but we do ask patients to
        # double-check their insurance".
        r"|\bbut\s+(?:we|they)\s+(?:do\s+|always\s+|clearly\s+|specifically\s+)?(?:ask|tell|"
        r"remind|advise|expect|require)\s+(?:all\s+)?(?:our\s+)?\w+\s+to\b"
        r"|\bif\s+you\s+had\s+(?:read|checked|called|told|looked)\b"
        # Pointing a complaint back at what was published: "well it's on the website".
        r"|^(?:(?:well|but|look|i\s+mean)\s+)+(?:it's|it\s+is|that's|that\s+is|it\s+was)\s+"
        r"(?:all\s+|clearly\s+|right\s+|always\s+been\s+)?(?:on|in)\s+(?:the|your)\s+(?:website|"
        r"site|letter|email|app|terms|contract|leaflet|booklet|bill|statement|paperwork|policy)\b"
        r"|\b(?:it's|it\s+is|that's|it\s+was)\s+(?:all\s+|clearly\s+)?in\s+the\s+(?:terms|contract|"
        r"small\s+print|fine\s+print|agreement|policy|booklet|leaflet|paperwork|documents|welcome\s+"
        r"pack|t's\s+and\s+c's|ts\s+and\s+cs)\b|\byou\s+agreed\s+to\b"
        r"|\byour\s+(?:devices?|router|wifi|wi-fi|phone|computer|laptop|browser|equipment)\s+"
        r"(?:is|are|must\s+be|might\s+be)\s+(?:old|the\s+problem|the\s+issue|faulty|outdated)"
        # "it's your router, it's ancient", "that's the extender you bought that's causing it"
        r"|\b(?:it's|that's|it\s+is|that\s+is)\s+(?:probably\s+|likely\s+|just\s+|definitely\s+)?"
        r"your\s+(?:own\s+)?(?:\w+\s+)?(?:router|wifi|wi-fi|phone|device|devices|computer|laptop|"
        r"browser|equipment|extender|modem|settings|setup|set-up|card|bank|software|cable|"
        r"wiring)\b|\b(?:the|that|your)\s+(?:\w+\s+){0,2}?(?:\w+)\s+you\s+(?:bought|installed|"
        r"used|set\s+up|chose|picked|added)\s+(?:\w+\s+){0,3}?(?:that's\s+)?(?:causing|the\s+problem|"
        r"the\s+issue|to\s+blame)"),
     None),
    # Fault put on someone else, with a fault predicate: "those booking apps always get it
    # wrong", "the tech should've called you", "Atlanta never scanned it".
    ("someone else", re.compile(
        r"\b" + _THIRD + r"(?:'s|'re)?\s+(?:(?!(?:we|i|you|that|it|but|and|so)\b)[\w']+\s+){0,3}?"
        + _FAULT + r"\b"), _FAULT),
    # A name as the agent of fault ("Atlanta never scanned it"): a single word straight before
    # the fault, not a verb ("logged but never sent") or a function word.
    ("someone else", re.compile(
        r"(?:^|[,;]\s*|\b(?:and|so|because)\s+)(?:" + _NOT_A_NAME + r"[a-z]+\s+)?" + _NOT_A_NAME
        + r"[a-z]+(?<!ed)(?<!ing)"
        r"(?<!ly)(?:'s)?\s+(?:(?:just|also|really|actually|obviously|clearly|apparently)\s+)?"
        + _FAULT + r"\b"), _FAULT),
    ("someone else", re.compile(r"\b" + _THIRD + r"(?:'s|')?\s*(?:(?!(?:we|i|you|that|it)\b)"
                                r"[\w']+\s+){0,2}?" + _DUTY + r"\b"), _DUTY),
    # Attribution: "that's normally the courier", "that's down to the bank", "that's on him",
    # "that'll be with the receiving bank", "it's the system", "it's them, not us".
    ("someone else", re.compile(
        r"\b(?:that's|that\s+is|it's|it\s+is|that\s+was|it\s+was|that'll\s+be|that\s+will\s+be|"
        r"that'd\s+be|this\s+is|the\s+(?:problem|issue|fault)\s+is)\s+(?:\w+\s+)?"
        r"(?:(?:normally|usually|probably|always|typically|likely|most\s+likely|definitely|"
        r"all|just|really)\s+)?(?:down\s+to|on|with|because\s+of|the\s+fault\s+of|from|caused\s+by"
        r"|a\s+(?:problem|issue|fault)\s+(?:at|with|from)|the|their|those|them|him|her)\s+"
        r"(?!us\b|me\b|our\b|my\b|you\b|your\b)" + _THIRD + r"\b(?:'s)?"
        r"(?=[^.]*\b(?:not\s+(?:us|me|mine|ours|our|my|the|here)|fault|problem|mistake|error|"
        r"doing|end|side|responsibility|issue|normally|usually|always|probably|down\s+to|on\s+"
        r"(?:them|him|her|the)|messed|wrong)\b)"), None),
    # "That's all down to the courier's routes": the phrase itself hands the cause over.
    ("someone else", re.compile(
        r"\b(?:that's|that\s+is|it's|it\s+is|that\s+was|it\s+was|that'll\s+be)\s+(?:all\s+|just\s+|"
        r"entirely\s+|really\s+|purely\s+)?(?:down\s+to|the\s+fault\s+of|caused\s+by)\s+"
        r"(?:the|their|those|them|him|her)\b(?!\s+(?:weather|snow|storm|holiday|bank\s+holiday)\b)"),
     None),
    ("someone else", re.compile(
        r"\b(?:that's|that\s+is|it's|it\s+is|that\s+was|it\s+was)\s+(?:normally|usually|probably|"
        r"always|typically|most\s+likely|likely)\s+(?:the|their|those|your)\s+\w+"
        r"|\b(?:their|his|her|the\s+\w+'s)\s+(?:fault|mistake|error|problem|doing)\b"
        r"|\bon\s+(?:their|the\s+\w+'s)\s+(?:end|side)\b"
        r"|\b(?:it's|that's|it\s+is|that\s+is)\s+(?:just\s+|all\s+)?(?:their|the\s+\w+'s)\s+"
        r"(?:system|end|side|app|website|software|process)\b|\bthat's\s+on\s+(?:them|him|her|the)\b"
        r"|\b(?:is|are)\s+(?:handled|done|dealt\s+with)\s+by\s+(?:another|a\s+different|the\s+other)"
        r"|\b(?:issue|problem|fault|bug|glitch)\s+(?:with|in|on|at)\s+(?:their|his|her)\b"
        r"|\b(?:they|he|she)\s+(?:always\s+)?(?:do|does)\s+(?:that|this)(?:\s+all\s+the\s+time)?\s*[.!]?$"
        r"|\b(?:problem|issue|delay|hold[\s-]?up|fault|blame|mistake|error|bottleneck)\s+(?:is|was|"
        r"lies|lay|sits|usually\s+is|normally\s+is)\s+(?:usually\s+|normally\s+|always\s+)?(?:with|at|on|"
        r"from)\s+(?:them|him|her|the|their|those)\b"
        r"|\b(?:that's|it's|that\s+is|it\s+is)\s+(?:a|an)\s+" + _THIRD + r"\s+(?:thing|issue|"
        r"problem|matter|question)\b"
        # Whose doing it was, said to answer the complaint: "that was the first line team".
        r"|^(?:(?:yeah|well|oh|so|right|okay|ah|um|uh)\s+)*(?:that|it)\s+(?:was|would\s+have\s+been|"
        r"will\s+have\s+been|'ll\s+have\s+been)\s+(?:the|our|their)\s+(?:[\w-]+\s+){0,2}?(?:team|"
        r"department|lot|guys|people|office|contractors?|couriers?|partners?|desk)\b"
        r"(?=\W+(?:(?:and|so|but)\s+)?(?:they|he|she)\b)"
        # Another party's own rules: "the claims team has its own timelines".
        r"|\b(?:has|have|do|does|run|runs|set|sets|follow|follows)\s+(?:its|their|his|her)\s+own\s+"
        r"(?:timelines?|timescales?|process|processes|rules|procedures?|schedules?|systems?|rounds|"
        r"policies|policy|way|thing)\b"
        r"|\bon\s+(?:their|his|her)\s+behalf\b"
        r"|\b(?:these|such)\s+things\s+happen\s+with\b"
        # Following a script is someone else's habit being blamed: "they just follow the script".
        r"|\b(?:they|he|she)\s+(?:just|only)\s+(?:follow|read|stick\s+to)\s+(?:the|a|their)\s+"
        r"(?:script|checklist|process)\b"
        # A cleft that hands the job to others: "it's their lads who fill those in".
        r"|\b(?:it's|that's|it\s+is|that\s+is|it\s+was)\s+(?:them|their\s+(?:\w+\s+)?\w+|"
        r"the\s+\w+'s\s+\w+)\s+(?:who|that)\s+(?!(?:we|i)\b)"
        # The system or a migration as the likely cause: "could've been the old system".
        r"|\b(?:could've|could\s+have|might've|might\s+have|must've|must\s+have|probably|"
        r"likely)\s+(?:been\s+)?(?:a|an|the|that)\s+(?:\w+\s+)?(?:system|glitch|bug|computer|"
        r"software|migration|update|upgrade)\b"
        r"|\b(?:stuff|things|data|records|details|a\s+lot)\s+(?:\w+\s+){0,2}?(?:didn't|did\s+not|"
        r"never|wasn't|weren't)\s+(?:carry|carried|come|came|get|got|transfer|transferred|copy|"
        r"copied|move|moved)\s+(?:over|across|through)\b"
        # Passing the matter to another team ("that's a different department"), not describing
        # who does what ("claims are assessed by a separate team in Daventry").
        r"|\b(?:that's|that\s+is|it's|it\s+is|that'd\s+be|that\s+would\s+be|that'll\s+be|"
        r"that\s+will\s+be|you(?:'ll)?\s+(?:need|want|have\s+to\s+(?:call|ring|contact))|try|"
        r"call|ring|contact)\s+(?:\w+\s+)?(?:another|a\s+different|the\s+other|different|"
        r"separate|a\s+separate)\s+(?:department|team)\b|\b(?:another|a\s+different|the\s+other)\s+"
        r"(?:department|team)'s\b|\b(?:another|a\s+different|the\s+other|different|separate|"
        r"a\s+separate)\s+(?:department|team)\b[^.]*\b(?:i|we)\s+(?:can't|cannot|can\s+not)\b"
        r"|,?\s+not\s+(?:us|me|mine|ours|claims|reception|billing|sales)\s*[.!]?$"
        r"|\bnot\s+(?:by|from)\s+us\b|\b(?:it's|its|it\s+is)\s+them\b|\bwasn't\s+us\b"
        # "the system won't let me", not "the system sent you a text at nine"
        r"|\bthe\s+system\s+(?:won't|wouldn't|doesn't|didn't|glitched|messed|crashed|decided|"
        r"(?:\w+\s+){1,4}not\s+(?:me|us))\b|\bit's\s+(?:just\s+)?the\s+system\b|\bjust\s+the\s+system\b"),
     None),
    # Defensive refusals and passing the buck.
    ("defensive", re.compile(
        r"\b(?:nothing|not\s+much|not\s+a\s+lot|very\s+little|little)\s+(?:more\s+)?(?:that\s+)?"
        r"(?:i|we)\s+can\s+(?:really\s+)?do\b|"
        # A rule or a system as the reason for the no: "credit's all the system lets me
        # offer", "that isn't something billing staff are permitted to do", "I'm not in a
        # position to amend it", "that falls to the billing partner, not to this department".
        r"\b(?:the|our|my)\s+(?:\w+\s+)?system\s+(?:only\s+|just\s+)?(?:lets|allows|permits)\s+(?:me|us)\b|"
        r"\b(?:isn't|is\s+not|not)\s+something\s+(?:\w+\s+){0,3}?(?:are|is|am|i'm|we're)\s+"
        r"(?:permitted|allowed|authorised|authorized)\s+to\b|"
        r"\b(?:i'm|i\s+am|we're|we\s+are)\s+not\s+in\s+a\s+position\s+to\b|"
        r"\b(?:that|it|this)\s+(?:falls|sits|lies)\s+(?:to|with)\s+(?:the|your|their|another|a)\b|"
        r",\s*not\s+(?:by|to|for|with)\s+(?:me|us|this\s+(?:department|office|desk|team))\b|\bnot\s+(?:really\s+|exactly\s+|actually\s+)?(?:my|our)\s+"
        r"(?:department|problem|job|call|area|responsibility|fault|remit|decision)\b|"
        # Handing the decision away or pleading ignorance: "that's not up to me", "I couldn't
        # have known", "how was I supposed to know", "nobody told us".
        r"\b(?:not|isn't|wasn't)\s+(?:really\s+)?up\s+to\s+(?:me|us)\b|"
        r"\b(?:i|we)\s+(?:couldn't|could\s+not|wouldn't|would\s+not)\s+(?:possibly\s+)?have\s+"
        r"known\b|\bhow\s+(?:was|were|would|could)\s+(?:i|we)\s+(?:supposed\s+to\s+|meant\s+to\s+|"
        r"have\s+|to\s+)?know(?:n)?\b|\b(?:nobody|no\s+one|no-one)\s+(?:ever\s+)?(?:told|informed)"
        r"\s+(?:me|us)\b|\b(?:i|we)\s+(?:wasn't|weren't|was\s+never|were\s+never)\s+(?:told|"
        r"informed|made\s+aware)\b|\b(?:out\s+of|not\s+in)\s+(?:my|our)\s+hands\b"
        r"|\bi\s+(?:don't|do\s+not)\s+(?:deal\s+with|handle|do)\s+(?:that|those|these|refunds|"
        r"complaints|billing|payments|claims|returns|bookings|any\s+of\s+that)\b"
        r"|\b(?:that's|it's|that\s+is|it\s+is)\s+(?:a|an)\s+(?:\w+\s+)?(?:thing|matter|question)\s+"
        r"for\b|\bi'm\s+(?:just|only)\s+the\s+messenger\b"
        r"|\b(?:we|i)\s+(?:don't|do\s+not)\s+(?:book|handle|deal\s+with|do|arrange|look\s+after|"
        r"cover|control)\s+(?:those|that|them|these)\b|\bi\s+can\s+only\s+go\s+(?:by|on|off)\b"
        r"|\bi\s+don't\s+make\s+the\s+rules\b|\bi\s+(?:just|only)\s+work\s+here\b|\babove\s+my\s+pay"
        r"|\btake\s+it\s+up\s+with\b|\byou(?:'ll|'d|\s+will|\s+would)\s+(?:have|need)\s+to\s+"
        r"(?:call|contact|speak\s+to|talk\s+to|email|write\s+to|ring|ask|go\s+(?:to|through))\s+"
        r"(?:them|the|your|their)\b|\brules\s+are\s+rules\b"
        r"|\bthat's\s+not\s+how\s+it\s+works\b|\b(?:don't|do\s+not)\s+have\s+(?:any\s+)?control\b"
        r"|\bnot\s+something\s+(?:we|i)\s+(?:control|do|handle)\b|\bno\s+control\s+over\b"
        r"|\bi\s+can(?:'t|not)\s+(?:do\s+anything|help\s+you|make\s+(?:the|them)|do\s+it)\b"
        r"|\bi(?:'m|\s+am)\s+(?:just|only)\s+(?:telling|in|the|doing)\b|\bnothing\s+to\s+do\s+with\s+"
        r"(?:us|me)\b|\bnot\s+responsible\b"
        # "I've no way to go above it", "my hands are tied", "all I'm saying is".
        r"|\b(?:i've|i\s+have|we've|we\s+have|i've\s+got|there's)\s+no\s+way\s+(?:to|of|for\s+me)\b"
        r"|\bmy\s+hands\s+are\s+tied\b|\b(?:i|we)\s+can(?:'t|not)\s+go\s+(?:above|over|beyond)\b"
        r"|\bi'm\s+(?:just|only)\s+saying\b|\ball\s+i'm\s+saying\b"
        r"|\bnot\s+something\s+(?:i|we|i'm|we're)\s+(?:can|could|(?:am\s+|are\s+)?able\s+to)\s+\w+"
        r"|\b(?:i|we)\s+can(?:'t|not)\s+(?:override|overrule|bypass|get\s+around|change)\s+"
        r"(?:the|their|that)\s+(?:system|policy|rules?|decision|process)\b"
        r"|\b(?:i|we)\s+can(?:'t|not)\s+(?:commit|speak|promise\s+anything)\s+(?:on|for)\s+"
        r"(?:their|his|her|them)\b"), None),
]
_FAULT_RE = re.compile(r"\b" + _FAULT + r"\b")
# A duty only blames when set against what failed: "they're meant to respond within a day, and
# nobody's picked it up".
_FAILED = re.compile(r"\b(?:nobody|no\s+one|never|still|but|yet|instead)\b|n't\b")
_DUTY_RE = re.compile(r"\b" + _DUTY + r"\b")

# Not blame: reassurance ("not your fault"), and promises that look alike ("you should have
# it by Thursday").
_NOT_BLAME = re.compile(
    r"\b(?:not|wasn't|isn't|never)\s+(?:your|you're)\s+(?:fault|mistake|doing)|\bdon't\s+blame\s+"
    r"you|\bcan't\s+blame\s+you|\bno\s+fault\s+of\s+yours|\byou\s+must\s+(?:have\s+been|'ve\s+"
    r"been|have\s+felt|be)\b")


# The agent saying back what the customer told them: the customer's words, not a reproach.
_RESTATING = re.compile(
    r"^(?:(?:so|and|okay|ok|right|yeah|um|uh|sorry)\s+)*(?:you're\s+saying|you\s+are\s+saying|"
    r"what\s+you're\s+saying|you\s+said|you\s+mentioned|you're\s+telling\s+me|you\s+told\s+me|"
    r"what\s+i'm\s+hearing|if\s+i\s+(?:understand|heard|have\s+this|got\s+this))\b")


_OWNING = re.compile(r"\b(?:(?:that's|that\s+is|that\s+one's|that\s+was|it's|this\s+is)\s+"
                     r"(?:all\s+)?on\s+(?:us|me)|our\s+(?:fault|mistake|error)|my\s+(?:fault|mistake|error)|"
                     r"we\s+(?:got\s+it\s+wrong|messed\s+up|dropped\s+the\s+ball))\b")


def blame_of(sentence: str, cfg: CriterionConfig) -> tuple[str, str] | None:
    """(who is blamed, the words) when ``sentence`` puts fault elsewhere or is defensive."""
    norm = normalize(sentence).replace("’", "'")
    if _NOT_BLAME.search(norm) or find_phrase(sentence, cfg["not_blame_phrases"]):
        return None
    predicates = {_FAULT: _FAULT_RE.search(norm) is not None,
                  _DUTY: _DUTY_RE.search(norm) is not None}
    restating = _RESTATING.match(norm) is not None
    # "That one's on us, you should have had a reply in two days" owns the fault.
    owning = _OWNING.search(norm) is not None
    for target, pattern, needs in _RULES:
        # The fault-predicate rules are the slow ones: skip them when no predicate is said.
        if needs is not None and not predicates[needs]:
            continue
        if (restating or owning) and target == "the customer":
            continue  # "so you're saying you're the one getting billed" reports, not blames
        for match in pattern.finditer(norm):
            said = " ".join(match.group(0).split()).strip(" ,.")
            quoted = through_clause(norm, match.start(), match.end()).strip(" ,.")
            if needs == _DUTY and re.search(r"\b(?:supposed|meant)\s+to\b", said) \
                    and not _FAILED.search(norm):
                continue  # "the engineer is meant to arrive at eight" is a plan, not a fault
            # "We messed it up" owns the fault: only someone else's fault is blame.
            if target == "someone else" and (_FIRST_PERSON_SUBJECT.match(said) or re.search(
                    # "I'm sorry our engineer didn't show" apologises for our own people.
                    r"\b(?:sorry|apologi[sz]e)\s+(?:that\s+)?(?:our|my)\s",
                    norm[max(0, match.start() - 30):match.end()]) or re.search(
                    r"\b(?:our|my|we|i)\s+(?:\w+\s+)?$", norm[:match.start()])):
                continue
            return target, quoted
    phrase = find_phrase(sentence, cfg["blame_phrases"])
    if phrase and not ((restating or owning) and phrase.startswith("you")):
        at = norm.find(phrase)
        # A team's phrase said of ourselves owns the fault: "we messed up there".
        if at >= 0 and re.search(r"\b(?:we|i|we've|i've|we\s+have|i\s+have)\s+(?:\w+\s+)?$",
                                 norm[:at]):
            return None
        return "someone else", phrase
    return None


_SUGGESTIONS = {
    "the customer": ("Describe the fix, not the customer's mistake: \"Let's get that corrected "
                     "together now, and I'll make sure it goes through.\""),
    "someone else": ("Own it for the customer, even when a partner or another team caused it: "
                     "\"That's on us to sort out, and here's what I'll do right now.\""),
    "defensive": ("Say what you can do instead of what you can't: \"I can't change that "
                  "myself, but here's what I can do for you right now.\""),
}
_WHY = {
    "the customer": "puts the fault on the customer",
    "someone else": "puts the fault on someone else",
    "defensive": "is defensive",
}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A coaching point for each blaming or defensive sentence, with an ownership rewrite."""
    findings = []
    for i, _utt, sentence in agent_sentences(call):
        found = blame_of(sentence, cfg)
        if found is None:
            continue
        target, phrase = found
        findings.append(agent_finding(
            call, i, CRITERION, "blame", COACHING,
            f"Blaming or defensive language: \"{phrase}\" {_WHY[target]}, and the customer "
            "only wants it fixed.",
            suggestion=_SUGGESTIONS[target], quote=sentence, phrase=phrase, target=target))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 less a fixed number of points per blaming sentence."""
    count = sum(f.label == "blame" for f in findings)
    if not count:
        return CriterionScore(CRITERION, 100.0, "No blaming or defensive language.", cfg.weight)
    return CriterionScore(CRITERION, clamp_score(100 - count * cfg["points_per_instance"]),
                          f"{count} blaming or defensive sentence(s).", cfg.weight)
