"""Writes yoda_pairs.csv: English sentences and Yoda-style rewrites, made for Parley from the word lists below.

Deterministic (fixed seed); columns match the seed chapter's dataset: sentence, translation, translation_extra.
Run: python3 make_yoda_csv.py
"""
import csv
import random

rng = random.Random(20261129)

subjects = [
    "the old farmer", "a young pilot", "the small droid", "my patient teacher", "the tired soldier",
    "a curious child", "the quiet librarian", "our brave captain", "the clever merchant", "a lonely traveller",
    "the grey cat", "the village baker", "a wise healer", "the nervous student", "the tall guard",
    "my older sister", "the busy engineer", "a gentle giant", "the river fisherman", "the night watchman",
]
motions = [
    ("walked", "along the dusty road"), ("rested", "under the great tree"), ("waited", "by the frozen lake"),
    ("sang", "in the empty hall"), ("slept", "beside the warm fire"), ("worked", "in the busy market"),
    ("hid", "behind the broken wall"), ("danced", "on the wooden bridge"), ("trained", "in the misty swamp"),
    ("prayed", "at the ancient temple"), ("studied", "in the hidden library"), ("lived", "near the quiet harbour"),
    ("stood", "at the edge of the cliff"), ("climbed", "to the top of the hill"), ("sailed", "across the stormy sea"),
    ("wandered", "through the dark forest"), ("laughed", "at the silly song"), ("looked", "into the deep well"),
]
qualities = [
    "strong", "patient", "afraid of the dark", "ready for the journey", "full of hope", "wiser than before",
    "hungry after the long day", "proud of the old ship", "lost in thought", "kind to strangers",
    "slow to anger", "quick with a joke", "tired of waiting", "curious about the stars", "calm before the storm",
]
duties = [
    "learn to let go", "trust your feelings", "finish the lesson first", "keep the secret safe",
    "listen to the wind", "mend the broken sail", "clean the old lantern", "guard the northern gate",
    "read the letter again", "carry the water home", "feed the hungry birds", "find the missing key",
    "practise every morning", "share the bread with others", "face your fear",
]
futures = [
    "open the heavy door", "cross the river at dawn", "bring the message to the king", "repair the ancient clock",
    "return before nightfall", "plant the seeds in spring", "paint the little house", "light the signal fire",
    "build a stronger bridge", "write a long letter", "win the final race", "teach the young ones",
]
extras = ["Yes, hrrrm.", "Hmm.", "Herh herh herh.", "Yes.", "Mmm, yes.", "Hrrrm."]


def cap(text):
    return text[0].upper() + text[1:]


def make():
    kind = rng.randrange(4)
    subject = rng.choice(subjects)
    if kind == 0:
        verb, place = rng.choice(motions)
        return f"{cap(subject)} {verb} {place}.", f"{cap(place)}, {subject} {verb}."
    if kind == 1:
        quality = rng.choice(qualities)
        return f"{cap(subject)} is {quality}.", f"{cap(quality)}, {subject} is."
    if kind == 2:
        duty = rng.choice(duties)
        return f"You must {duty}.", f"{cap(duty)}, you must."
    future = rng.choice(futures)
    return f"{cap(subject)} will {future}.", f"{cap(future)}, {subject} will."


rows, seen = [], set()
while len(rows) < 240:
    sentence, translation = make()
    if sentence in seen:
        continue
    seen.add(sentence)
    rows.append((sentence, translation, f"{translation} {rng.choice(extras)}"))

with open("yoda_pairs.csv", "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["sentence", "translation", "translation_extra"])
    writer.writerows(rows)
