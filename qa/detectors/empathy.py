"""Empathy: the agent acknowledges the customer's feeling or situation ("that must be so
frustrating", "I can imagine how stressful that is").
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.detectors.common import (
    agent_finding,
    agent_sentences,
    complaint_utterances,
    is_listening_cue,
    problem_phrase,
)
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable, missing_score_or_na
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, normalize, tokens
from qa.transcript import CUSTOMER, Transcript

CONTRACT = Criterion(
    "empathy", "Empathy",
    labels=(
        Label("empathy", STRENGTH, "Acknowledging how the customer feels", evaluated=True,
              moment="Empathy"),
        Label("empathy:missing", PROBLEM,
              "Not acknowledging how the customer feels", practicable=True),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "empathy_phrases": PHRASES,
    "feeling_openers": PHRASES,
    "feeling_words": PHRASES,
    "missing_score": NUMBER,
}


def _named_feeling(sentence: str, cfg: CriterionConfig, reach: int = 6) -> str | None:
    """An opener ("that's", "how") followed closely by a feeling word ("rough", "stressful")."""
    words = tokens(sentence)
    feelings = {w.lower() for w in cfg["feeling_words"]}
    for opener in cfg["feeling_openers"]:
        size = len(opener.split())
        for pos in range(len(words) - size + 1):
            if " ".join(words[pos:pos + size]) != opener:
                continue
            near = words[pos + size:pos + size + reach]
            feeling = next((w for w in near if w in feelings), None)
            if not feeling:
                continue
            at = pos + size + near.index(feeling)
            if opener in _IMPERSONAL and feeling in _TASK_WORDS and words[at + 1:at + 2] == ["to"]:
                continue  # "it's hard to say when" judges a task, not the customer's situation
            if words[at - 1] in {"i'm", "am"}:
                continue  # "that's the process, I'm afraid": the agent's own feeling
            return " ".join(words[pos:pos + size + near.index(feeling) + 1])
    return None


_IMPERSONAL = {"it's", "it is", "that's", "that is", "how"}
_TASK_WORDS = {"hard", "difficult", "tough", "tricky", "easy"}
# Feelings a customer can have that are not complaints: named back to them they are empathy
# too ("it sounds like you're relieved it's sorted").
_GOOD_FEELINGS = (
    "happy", "relieved", "excited", "glad", "proud", "calm", "calmer", "hopeful", "pleased",
    "grateful", "better", "comfortable", "confident",
)


@lru_cache(maxsize=16)
def _compiled_frames(feeling_words: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The frames with {F} and {G} filled from the rubric's feeling words, compiled once."""
    feelings = "|".join(re.escape(w) for w in sorted(feeling_words, key=len, reverse=True))
    good = feelings + "|" + "|".join(_GOOD_FEELINGS)
    return tuple((why, re.compile(pattern.replace("{F}", feelings).replace("{G}", good)))
                 for why, pattern in _FRAMES)


# The grammar of empathy, beyond the rubric's phrases: each frame is (why, pattern). {F} is a
# feeling or situation word from the rubric; {G} adds the good feelings. Patterns run on
# lower-case text with straight apostrophes.
_FRAMES: tuple[tuple[str, str], ...] = (
    # Perspective: "I'd be fuming too", "anyone would be upset", "I'd feel the same".
    ("put themselves in the customer's place",
     r"\b(?:i'd|i would|i'd have|i would have|anyone would|anybody would|everyone would"
     r"|most people would|who wouldn't|any of us would)(?: have)? (?:be|feel|been|felt)\b"
     r"(?:(?! to )[^.!?]){0,30}?\b(?:too|as well|the same|that way|{F})\b"),
    ("put themselves in the customer's place",
     r"\b(?:in your (?:shoes|position|place|situation)|how anyone would feel"
     r"|i(?:'ve| have) been there|i know (?:the|that) feeling|i'd feel exactly the same"
     r"|anyone (?:would|'d) (?:feel|react|be)|i can relate|i can only imagine"
     r"|i can't imagine|i cannot imagine|i can't even imagine)\b"),
    # Naming the customer's state: "you must be exhausted", "it sounds like you're worried",
    # "I can tell you're upset", "you seem really stressed".
    ("named how the customer feels",
     r"\byou(?:'re| are)? (?:must|might|may|probably|clearly|obviously|really|seem to)?\s?"
     r"(?:be |have been |'ve been )?(?:so |really |very |quite |pretty |a bit |a little |just )?"
     r"(?:feel|feeling|felt|seem|seemed|sound|sounded)\b(?! free)"
     r"(?:(?! to )[^.!?]){0,60}?\b(?:{G}|like|that|as though|as if|about)\b"),
    ("named how the customer feels",
     r"\byou(?:'re| are|'ve been| have been| were| must be| must have been| might be| seem| seemed)"
     r" (?:so |really |very |quite |pretty |a bit |a little |feeling |getting |understandably "
     r"|much )*(?:{G})\b"),
    ("named how the customer feels",
     r"\byou(?:'re| are| must be| might be| may be| must| might)? (?:feeling|feel|don't feel"
     r"|do not feel|didn't feel)\b(?! free| like (?:a |an |the |it |this |that |some))"
     r"(?!\s*(?:it|that|the|this)\b)"),
    ("named how the customer feels",
     r"\bi can (?:tell|see|hear|sense|feel)(?: that| how| why| just how)? (?:you|this|that)"
     r"(?:(?! to )[^.!?]){0,50}?\b(?:{G}|feel|feeling|means a lot|matters|important|weigh"
     r"|care)\b"),
    # The feeling said to be natural: "it's entirely natural to feel shaken".
    ("said the customer's feeling is natural",
     r"\b(?:it's|it is|that's|that is)\s+(?:a\s+)?(?:entirely |completely |perfectly |only "
     r"|totally |quite |so |very |really )?(?:natural|normal|understandable|reasonable|fair)"
     r"(?: thing| reaction| question| worry| concern)? (?:to (?:feel|be|want|worry|get|ask)"
     r"|that you)\b"),
    # "I can completely understand why that would worry you".
    ("named how the customer feels",
     r"\bi (?:can |do )?(?:completely |totally |fully |really |quite |absolutely )?understand "
     r"(?:why|how) (?:that|this|it|you)\b"),
    # "I can quite understand your exasperation", "I appreciate your concern".
    ("named how the customer feels",
     r"\bi (?:can |do |totally |completely |fully |really |certainly |quite )*(?:understand"
     r"|appreciate|get|see|hear) your (?:{F}|exasperation|annoyance|concerns?|upset|anger"
     r"|distress|fears?|worries|disappointment)\b"),
    # Sympathy for what a stranger did: "I'm sorry someone got hold of your card details".
    ("sympathised with what happened to the customer",
     r"\bsorry (?:that )?(?:someone|somebody) (?:has|had|got|stole|took|used|tried|was)\b"),
    # What nobody wants: "nobody wants a four-thousand-dollar surprise".
    ("acknowledged how hard the situation is",
     r"\b(?:nobody|no one|no-one) (?:wants|likes|needs|expects|deserves|enjoys) (?:to |a |an "
     r"|that|this|news)"),
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|it's|it is|that was|it was) (?:not|never) (?:a |an )?(?:very )?(?:nice"
     r"|pleasant|good|fun|great) (?:thing|situation|position|feeling|experience|way|start"
     r"|surprise|news)\b"),
    ("acknowledged how hard the situation is",
     r"\b(?:that's|it's|that is|it is) a lot (?:of money |of stress |of hassle )?to (?:deal with"
     r"|take in|handle|cope with|be hit with|lose|find|manage|go through)\b"),
    # What weighs on the customer: "sounds like the cost is what's weighing on you".
    ("named what is weighing on the customer",
     r"\b(?:weighing on you|on your mind|bothering you|getting to you|eating at you"
     r"|stressing you|worrying you|upsetting you|matters to you|means a lot to you"
     r"|the last thing you (?:need|want|needed|wanted)|what you're going through"
     r"|what you've been through|you're going through|you've been through|you've had to deal"
     r"|you're dealing with|you've been dealing with)\b"),
    # The situation: "that's a rough week you've had", "what a week", "that can be daunting".
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|that was|it's been|that's been|you've had|you have had|what)"
     r" (?:quite |such |a really |a very |a |an |one )+(?:(?:rough|tough|hard|long|bad|awful"
     r"|horrible|difficult|stressful|terrible|nightmare|crazy|rotten|miserable) )*"
     r"(?:week|day|month|year|morning|time|few days|ride|experience|situation|journey|night)\b"
     r"(?! to| for you to| for us)"),
    ("acknowledged how hard the situation is",
     r"\b(?:that|it|this|which|such things|those things|things|\w+s) (?:can|could|would|will)"
     r" (?:really |totally |definitely |be so |certainly )?(?:be |feel |get )"
     r"(?:so |really |very |quite |pretty |incredibly )?(?:{F})\b"),
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|it's|this is) (?:quite |such |so much )?a lot\b(?! of)"),
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|it's|this is|that was|what) (?:really |just |so |definitely |such )?"
     # "That's not good enough" after our own slip owns the fault (an apology), so it is left out.
     r"(?:not on(?=\s*(?:[.!?,]|$))|not fair|unfair|no fun|no joke|(?:such )?(?:bad|rotten|hard"
     r"|tough|terrible|awful|horrible|cruel|poor) (?:luck|timing)|a big deal|not what you need"
     r"|the last thing you need)\b"),
    # The moment is the worst for the customer: "the week before exams is the worst possible
    # time", "of all the days".
    ("acknowledged how hard the situation is",
     r"\bthe worst (?:possible )?(?:time|timing|moment|week|day|night)\b"
     r"(?! (?:to call|for (?:us|me)))"
     r"|\bof all (?:the )?(?:days|times|weeks|nights)\b"),
    # A situation judged from where the customer stands: "that'd be a horrible spot to be in".
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|that'd be|that would be|that must be|what|it's|that was|you're in)"
     r" (?:quite |such |a really |a very |a |an |one |so )+(?:(?:horrible|awful|terrible|tough"
     r"|difficult|rough|hard|bad|awkward|stressful|miserable|rotten|tricky|scary|worrying) )+"
     r"(?:spot|position|place|situation|predicament|bind|state|blow|shock|worry|thing to)\b"),
    # Something is already hard, and this adds to it: "paperwork is stressful enough without a
    # bill on top".
    ("acknowledged how hard the situation is",
     r"\b(?:is|are|was|were|'s|can be) (?:\w+ )?(?:{F}) enough\b"),
    # The customer's cost said back: "that's a lot of leave to burn waiting on a sofa".
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|it's|what) (?:an awful |a whole |quite |such )?(?:a )?lot of "
     r"(?:\w+ )?\w+ to (?:burn|lose|waste|spend|give up|use up|sacrifice|take off|go through"
     r"|deal with|put up with)\b"),
    # A reaction to how the situation sounds: "that sounds terrifying", "sounds exhausting";
    # the ending names a feeling or a judgement, and plain approval ("sounds good") is left out.
    ("acknowledged how hard the situation is",
     r"\b(?:that|it|this|which|all that|all of that)? ?(?:sounds|sounded|must sound|must feel"
     r"|feels|felt) (?:really |so |absolutely |pretty |quite |very |just |awfully |incredibly )*"
     r"(?!(?:interesting|amazing|exciting|fascinating|promising|appealing|convincing|tempting"
     r"|confusing to|like|wonderful|beautiful|delightful|helpful|useful|successful|fabulous"
     r"|marvell?ous|glorious|gorgeous|delicious|thoughtful|peaceful|joyous|fantastic)\b)"
     r"[a-z]+(?:ing|ful|ible|ous|ened)\b"),
    # Not the outcome the customer hoped for: "I appreciate it's not the answer you wanted".
    ("acknowledged how hard the situation is",
     r"(?:\bnot|n't) (?:the answer|the news|the outcome|what) you (?:wanted|were hoping|hoped"
     r"|needed|want|were expecting|expected)\b"
     r"|\bi appreciate (?:that )?(?:it's|this is|that's|this has been|it has been|it's been"
     r"|you're|you've)\b"),
    # How hard the thing is in general: "it's never easy going through that", "that does make
    # it difficult", "you're not alone in this", "I've felt that way too".
    ("acknowledged how hard the situation is",
     r"\b(?:it's|it is|that's|that is|it can't be|that can't be|it's not|that's not)"
     r" (?:never |not |always |ever )?(?:easy|fun|nice|pleasant)\b(?! to\b)"
     r"|\b(?:does|can|would|must|will)? ?makes? (?:it|things|life|everything) (?:so |really |very "
     r"|extra |even |a lot |much )?(?:{F}|harder|tougher|worse|trickier|scarier)\b"
     r"|\byou(?:'re| are) (?:definitely |certainly )?not alone\b"
     r"|\bnothing (?:is|feels) worse than\b"),
    ("put themselves in the customer's place",
     r"\bi(?:'ve| have) (?:definitely |also |certainly |often )?"
     r"(?:felt (?:that way|the same|like that)"
     r"|been in (?:that|your|the same|a similar) (?:spot|position|situation|place|boat))\b"),
    # Warm sympathy for someone the customer cares about: "bless her".
    ("showed sympathy for what the customer is going through",
     r"\b(?:oh )?bless (?:her|him|them|'em|your heart|his heart|her heart)\b"),
    ("acknowledged how hard the situation is",
     r"\b(?:that's|that is|it's been|that's been) (?:such |quite |a really |a very |so )?"
     r"(?:a )?long (?:time|wait|while|way)\b"),
    # Sympathy for the customer's state, not an apology for a fault.
    ("showed sympathy for what the customer is going through",
     r"\bsorry (?:that )?you(?:'re| are|'ve been| have been| had| were| feel|'ve had| have had)"
     r" (?:to deal with|going through|dealing with|been through|such a|a (?:rough"
     r"|tough|hard|difficult|bad|horrible))|\bsorry for your loss\b"),
    # The reaction makes sense: "that's completely understandable", "I understand why".
    ("said the customer's reaction makes sense",
     r"\b(?:(?:that's|that is|it's|it is) (?:completely |totally |perfectly |very |so |quite )?"
     r"(?:understandable|natural|normal|fair) (?:to feel|to be|that you|you'd|you would)"
     r"|(?:that's|that is) (?:completely |totally |perfectly |very |so )?understandable"
     r"|no wonder|of course you(?:'re| are| feel| would)|you have every reason"
     r"|i can understand(?! your (?:account|order|number)))\b"),
)


def _frame(sentence: str, cfg: CriterionConfig) -> tuple[str, str] | None:
    """(why, words) for the first empathy frame the sentence matches, else None."""
    text = " ".join(normalize(sentence).split())
    for why, pattern in _compiled_frames(tuple(cfg["feeling_words"])):
        match = pattern.search(text)
        if match:
            return why, match.group(0).strip()
    return None


# Asking about a feeling is not acknowledging it ("how do you feel about the new plan?").
_ASKING = re.compile(r"^(?:so |and |but |okay |ok |well )*(?:do|does|did|how|what|are|is|have|"
                     r"would|could|can|will|why|when|where|which|anything|any)\b(?! a )")
_NOT_EMPATHY = re.compile(r"\b(?:if you feel|if you're feeling|feel free|you'll feel|you will feel"
                          r"|make you feel|i'd be (?:happy|glad|delighted|pleased) to)\b"
                          # "I'm sorry you're disappointed" regrets the customer's reaction: a
                          # scripted apology, not empathy.
                          r"|\bsorry (?:that )?you(?:'re| are| feel| felt| were) (?!going through"
                          r"|dealing with|having|been through)")


def empathy_in(sentence: str, cfg: CriterionConfig) -> tuple[str, str] | None:
    """(why, words) if ``sentence`` acknowledges the customer's feeling or situation, else None.

    A rubric phrase ("I'm sorry to hear that") or a frame of the grammar above ("I'd be fuming
    too", "sounds like the cost is what's weighing on you", "that's a rough week you've had").
    A question about feelings, "feel free" and "if you feel" are not empathy.
    """
    text = normalize(sentence)
    if _ASKING.match(text) or _NOT_EMPATHY.search(text):
        return None
    phrase = find_phrase(sentence, cfg["empathy_phrases"]) or _named_feeling(sentence, cfg)
    if phrase:
        return "acknowledged how the customer feels", phrase
    return _frame(sentence, cfg)


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength per empathy statement; a coaching point if a complaint got none."""
    findings = []
    for i, utt, sentence in agent_sentences(call):
        if is_listening_cue(utt.text, cfg):
            continue  # a bare "I understand." is a listening cue, not empathy
        found = empathy_in(sentence, cfg)
        if found:
            why, phrase = found
            findings.append(agent_finding(
                call, i, CRITERION, "empathy", STRENGTH,
                f"{why[0].upper()}{why[1:]} (\"{phrase}\").", quote=sentence, phrase=phrase))
    complaints = complaint_utterances(call, cfg)
    if complaints and not findings:
        ci, _cu = complaints[0]
        findings.append(agent_finding(
            call, ci, CRITERION, "empathy:missing", COACHING,
            "The customer described a problem and nobody acknowledged how it felt.",
            suggestion=missing_suggestion(call, ci, cfg)))
    return findings


# What a customer says they feel -> how the agent can name it ("I'm worried" -> "worrying").
_FEELING_ADJECTIVE = {
    "frustrated": "frustrating", "frustrating": "frustrating", "annoyed": "annoying",
    "annoying": "annoying", "stressed": "stressful", "stressful": "stressful",
    "worried": "worrying", "worrying": "worrying", "upset": "upsetting",
    "upsetting": "upsetting", "disappointed": "disappointing", "disappointing": "disappointing",
    "angry": "frustrating", "fed up": "frustrating", "scared": "worrying", "anxious": "worrying",
    "embarrassed": "embarrassing", "exhausted": "exhausting", "exhausting": "exhausting",
}


def missing_suggestion(call: Transcript, complaint: int, cfg: CriterionConfig) -> str:
    """What the agent could have said: the customer's feeling and problem in one sentence
    ("I can imagine how worrying it is that your boiler's broken."), or a general one."""
    said = " ".join(u.text for i, u in call.by(CUSTOMER) if i <= complaint + 2)
    feeling = find_phrase(said, list(_FEELING_ADJECTIVE))
    adjective = _FEELING_ADJECTIVE[feeling] if feeling else "frustrating"
    # The problem is usually told with the complaint or just after it.
    problem = problem_phrase(call, complaint + 3, cfg)
    if problem:
        return f"\"I can imagine how {adjective} it is that {problem}.\""
    return f"\"I'm sorry to hear that; that sounds really {adjective}.\""


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 when the agent acknowledged the customer's feelings, low when a complaint got none."""
    shown = sum(f.label == "empathy" for f in findings)
    if shown:
        return CriterionScore(CRITERION, 100.0, f"{shown} empathy statement(s).", cfg.weight)
    return missing_score_or_na(
        findings, "empathy:missing", cfg,
        "A complaint was met with no acknowledgement of feelings.",
        "the customer raised no problem")
