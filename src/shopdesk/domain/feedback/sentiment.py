"""Sentiment and categories of a feedback comment, offline, by lexicon (issue 17).

Covered languages: English (en), French (fr) and Spanish (es); any other language
code falls back to English word lists (and says so: `Analysis.covered`). The
method is a small lexicon with negation ("not good", "pas rapide", "no funciona")
and intensifiers ("very", "très", "muy"), scored like VADER's compound score:
the summed word weights normalised into -100..100. Categories are keyword stems
per language (price, speed, quality, staff, communication; "other" when none
matched). How well it does is measured on a labelled sample
(tests/data/feedback_comments.csv) by `bench/sentiment.py` and in tests.

Why not a package: vaderSentiment covers English only, and the others (spaCy,
transformers) need model downloads; shops write in their customers' languages.
Pure; any thread.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

LANGUAGES = ("en", "fr", "es")
CATEGORIES = ("price", "speed", "quality", "staff", "communication")
STRONGLY_NEGATIVE = -50

# word stem -> weight (a stem matches any word starting with it).
_POSITIVE = {
    "en": {"good": 2, "great": 3, "excellent": 3, "perfect": 3, "amazing": 3, "fantastic": 3,
           "brilliant": 3, "awesome": 3, "happy": 2, "pleased": 2, "love": 3, "recommend": 2,
           "thank": 1, "thanks": 1, "friendly": 2, "helpful": 2, "polite": 2, "kind": 2,
           "fast": 2, "quick": 2, "efficient": 2, "professional": 2, "nice": 2, "best": 3,
           "reasonable": 1, "fair": 1, "cheap": 1, "affordable": 2, "like new": 2,
           "works perfectly": 3, "works great": 3, "well done": 2, "satisf": 2,
           "impress": 2, "superb": 3, "easy": 1, "clear": 1, "honest": 2, "reliable": 2,
           "prompt": 2, "smooth": 1, "wonderful": 3, "outstanding": 3, "spot on": 2,
           "as promised": 1, "appreciat": 2},
    "fr": {"bon": 2, "bien": 2, "excellent": 3, "parfait": 3, "super": 3, "genial": 3,
           "formidable": 3, "content": 2, "ravi": 3, "satisf": 2, "merci": 1,
           "recommand": 2, "aimable": 2, "sympa": 2, "souriant": 2, "poli": 2,
           "rapide": 2, "efficace": 2, "professionnel": 2, "competent": 2, "top": 2,
           "raisonnable": 1, "correct": 1, "abordable": 2, "comme neuf": 2, "impeccable": 3,
           "honnete": 2, "serviable": 2, "clair": 1, "agreable": 2, "facile": 1,
           "fiable": 2, "au top": 3, "nickel": 3, "meilleur": 3, "accueil chaleureux": 3,
           "moins cher": 2, "comme promis": 1, "impressionn": 2, "pas mal": 1},
    "es": {"bueno": 2, "buen": 2, "bien": 2, "excelente": 3, "perfect": 3, "genial": 3,
           "fantastic": 3, "content": 2, "encantad": 3, "satisfech": 2, "gracias": 1,
           "recomiend": 2, "recomendar": 2, "amable": 2, "simpatic": 2, "atent": 2,
           "rapid": 2, "eficaz": 2, "eficiente": 2, "profesional": 2, "razonable": 1,
           "barat": 1, "economic": 1, "como nuevo": 2, "impecable": 3, "honest": 2,
           "servicial": 2, "clar": 1, "agradable": 2, "facil": 1, "fiable": 2,
           "mejor": 2, "maravillos": 3, "increible": 3, "de lujo": 3, "muy contento": 1,
           "como prometieron": 1, "no esta mal": 1},
}
_NEGATIVE = {
    "en": {"bad": -2, "terrible": -3, "awful": -3, "horrible": -3, "worst": -3, "poor": -2,
           "rude": -3, "unhelpful": -2, "slow": -2, "late": -2, "delay": -2, "wait": -1,
           "expensive": -2, "overpriced": -3, "overcharg": -3, "rip off": -3, "ripoff": -3,
           "broke": -2, "broken": -2, "still not": -2, "doesn't work": -3,
           "does not work": -3, "not working": -3, "stopped working": -3, "faulty": -2,
           "disappoint": -2, "unhappy": -2, "angry": -3, "annoy": -2, "complain": -2,
           "never again": -3, "waste": -2, "useless": -3, "scam": -3, "lied": -3,
           "ignored": -2, "no one": -1, "nobody": -1, "lost": -2, "scratch": -2,
           "damage": -2, "problem": -1, "issue": -1, "unprofessional": -3, "careless": -2,
           "worse": -2, "frustrat": -2, "mess": -2, "avoid": -2, "dirty": -2,
           "without telling": -2, "no answer": -2, "never told": -2, "not told": -2},
    "fr": {"mauvais": -2, "nul": -3, "horrible": -3, "affreux": -3, "pire": -3,
           "decu": -2, "decevant": -2, "deception": -2, "impoli": -3, "desagreable": -3,
           "lent": -2, "retard": -2, "attendre": -1, "attente": -1, "cher": -2,
           "trop cher": -3, "arnaque": -3, "hors de prix": -3, "casse": -2, "panne": -2,
           "ne marche": -3, "ne fonctionne": -3, "defectueux": -2, "mecontent": -2,
           "en colere": -3, "enerv": -2, "plainte": -2, "plus jamais": -3, "inutile": -3,
           "menti": -3, "ignore": -2, "personne": -1, "perdu": -2, "raye": -2, "abime": -2,
           "probleme": -1, "souci": -1, "incompetent": -3, "pas professionnel": -3,
           "a eviter": -3, "sale": -2, "frustr": -2, "catastroph": -3, "sans prevenir": -2,
           "aucune reponse": -2, "jamais informe": -2, "toujours pas": -2, "rayure": -2},
    "es": {"malo": -2, "mal": -2, "mala": -2, "terrible": -3, "horrible": -3, "fatal": -3,
           "peor": -3, "pesim": -3, "decepcion": -2, "decepcionad": -2, "grosero": -3,
           "maleducad": -3, "antipatic": -2, "lento": -2, "lenta": -2, "tarde": -1,
           "retraso": -2, "esperar": -1, "espera": -1, "caro": -2, "cara": -1,
           "carisimo": -3, "estafa": -3, "timo": -3, "roto": -2, "rota": -2, "averia": -2,
           "no funciona": -3, "dejo de funcionar": -3, "defectuos": -2, "enfadad": -3,
           "molest": -2, "queja": -2, "nunca mas": -3, "inutil": -3, "mintieron": -3,
           "mentira": -3, "ignor": -2, "nadie": -1, "perdieron": -2, "rayad": -2,
           "danad": -2, "problema": -1, "incompetent": -3, "poco profesional": -3,
           "evitar": -2, "sucio": -2, "frustra": -2, "desastre": -3, "sin avisar": -2,
           "ninguna respuesta": -2, "nunca me informaron": -2, "sigue sin": -2, "raya": -2,
           "mintio": -3},
}
_NEGATORS = {"en": ("not", "no", "never", "n't", "hardly", "without"),
             "fr": ("pas", "jamais", "ni", "sans", "aucun", "guere", "plus"),
             "es": ("no", "nunca", "ni", "sin", "tampoco", "nada")}
_BOOST = {"en": ("very", "really", "so", "extremely", "super", "totally", "absolutely"),
          "fr": ("tres", "vraiment", "trop", "tellement", "super", "extremement"),
          "es": ("muy", "realmente", "super", "tan", "totalmente", "extremadamente")}
_TOPICS = {
    "en": {"price": ("price", "cost", "expensive", "cheap", "overpriced", "overcharg", "charge",
                     "pay", "paid", "money", "bill", "quote", "£", "$", "€", "value",
                     "afford", "rip off", "ripoff", "fee"),
           "speed": ("fast", "quick", "slow", "wait", "late", "delay", "hour", "day", "days",
                     "week", "time", "same day", "took", "ready", "prompt", "on time", "long"),
           "quality": ("quality", "work", "broke", "broken", "fix", "fixed", "screen",
                       "battery", "faulty", "like new", "scratch", "damage", "part",
                       "again", "charg"),
           "staff": ("staff", "friendly", "rude", "helpful", "polite", "technician", "guy",
                     "lady", "man", "woman", "team", "manager", "person", "kind",
                     "professional", "attitude", "owner"),
           "communication": ("call", "told", "telling", "update", "explain", "inform",
                             "answer", "message", "text", "email", "phoned", "contact", "kept me",
                             "clear", "lied", "ignored", "respond", "reply", "nobody")},
    "fr": {"price": ("prix", "cout", "cher", "tarif", "payer", "paye", "argent", "facture",
                     "devis", "€", "abordable", "arnaque", "euros"),
           "speed": ("rapide", "lent", "attendre", "attente", "retard", "heure", "jour",
                     "semaine", "temps", "delai", "vite", "long"),
           "quality": ("qualite", "marche", "fonctionne", "casse", "ecran", "rayure",
                       "batterie", "defectueux", "comme neuf", "raye", "abime", "piece",
                       "panne", "travail", "impeccable", "nickel"),
           "staff": ("personnel", "equipe", "aimable", "impoli", "sympa", "technicien",
                     "vendeur", "vendeuse", "accueil", "gerant", "serviable", "poli",
                     "souriant", "professionnel", "competent", "desagreable"),
           "communication": ("appel", "telephone", "explique", "inform", "repond", "reponse",
                             "message", "sms", "mail", "contact", "prevenu", "tenu au courant",
                             "clair", "menti", "nouvelles")},
    "es": {"price": ("precio", "coste", "costo", "caro", "cara", "barat", "pagar", "pague",
                     "dinero", "factura", "presupuesto", "€", "euros", "estafa", "timo",
                     "economic"),
           "speed": ("rapid", "lent", "esperar", "espera", "retraso", "tarde", "hora", "dia",
                     "semana", "tiempo", "plazo", "pronto", "tardaron", "enseguida"),
           "quality": ("calidad", "funciona", "roto", "rota", "pantalla", "bateria", "raya",
                       "defectuos", "como nuevo", "rayad", "danad", "pieza", "averia",
                       "trabajo", "impecable", "arregl"),
           "staff": ("personal", "equipo", "amable", "grosero", "maleducad", "simpatic",
                     "tecnico", "dependient", "atencion", "atent", "encargad", "servicial",
                     "profesional", "trato", "antipatic", "chico", "chica"),
           "communication": ("llam", "explic", "mintio", "inform", "respond", "respuesta",
                             "mensaje", "whatsapp", "correo", "contacto", "avisar", "avisaron",
                             "claro", "clara", "mintieron", "mentira", "nadie")},
}


@dataclass(frozen=True)
class Analysis:
    """A comment's sentiment (-100..100), categories, and whether its language is covered."""

    sentiment: int
    categories: tuple[str, ...]
    language: str
    covered: bool

    @property
    def strongly_negative(self) -> bool:
        return self.sentiment <= STRONGLY_NEGATIVE


def fold(text: str) -> str:
    """Lower case without accents; apostrophes kept for "doesn't"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_WORD = re.compile(r"[a-z0-9']+|[£$€]")


def _match(words: list[str], i: int, stem: str) -> int:
    """How many words from i the (possibly multi-word) stem covers; 0 if no match."""
    parts = stem.split()
    if i + len(parts) > len(words):
        return 0
    for k, part in enumerate(parts):
        word = words[i + k]
        last = k == len(parts) - 1
        if not (word == part or (last and len(part) >= 4 and word.startswith(part))):
            return 0
    return len(parts)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text).replace("n't", " n't"))


def analyse(text: str, language: str = "en") -> Analysis:
    lang = language.split("-")[0].lower()
    covered = lang in LANGUAGES
    if not covered:
        lang = "en"
    words = _tokens(text)
    lexicon = sorted({**_POSITIVE[lang], **_NEGATIVE[lang]}.items(),
                     key=lambda kv: -len(kv[0].split()))
    score = 0.0
    i = 0
    while i < len(words):
        for stem, weight in lexicon:
            n = _match(words, i, stem)
            if n:
                window = words[max(0, i - 3):i]
                value = float(weight)
                if any(w in _BOOST[lang] for w in window[-2:]):
                    value *= 1.5
                if any(w in _NEGATORS[lang] for w in window) and " " not in stem:
                    value *= -0.6  # "not good" is bad; "not bad" is mildly good
                score += value
                i += n
                break
        else:
            i += 1
    if "!" in text and score:
        score *= 1.1
    compound = score / math.sqrt(score * score + 8)
    joined = " ".join(words)
    found = []
    for topic in CATEGORIES:
        for stem in _TOPICS[lang][topic]:
            if stem in ("£", "$", "€"):
                hit = stem in text
            else:
                hit = any(_match(words, i, stem) for i in range(len(words))) or (
                    " " in stem and stem in joined)
            if hit:
                found.append(topic)
                break
    return Analysis(round(compound * 100), tuple(found) or ("other",), lang, covered)
