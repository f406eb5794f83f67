"""The word-level engine's settings: version, n-gram order, vocabulary, discounts, mix, held-out."""

# Bump when training changes, so engines cached on disk by an older version are rebuilt.
ENGINE_VERSION = 2
# Four words of context: short enough that sentences sharing a few words ("and colleagues in
# the", "for adults is") are stitched together; at six, whole lines were copied instead. It is
# too short to tie a phone number's last digits to the name before it, so only the most repeated
# record comes back whole and everyone else gets pieces of it - the memorisation scenario shows
# both, and the records datasheet says so.
ORDER = 5
VOCAB_SIZE = 3000
# Kneser-Ney's discounts, scaled: at the estimated discounts a small corpus hands most of each
# prediction to one- and two-word contexts, where "." follows almost anything, and sentences
# stop half-way ("it can help you feel more."). Half the discount keeps phrases whole.
DISCOUNT_SCALE = 0.5
# "The tuned model" when a page does not choose a weight: the instruction pairs carry almost all
# of each prediction. The base model never saw a question, so in a chat it starts a sentence of
# its own; at a fifth it cut answers short ("A mucha gente."), at a tenth it rarely does.
TUNED_MIX = 0.9
# Copied spans shorter than this are just common phrases ("it can help to").
MIN_SPAN = 6
# Every twentieth line of the health corpus is held out to measure bits per character.
HELDOUT_EVERY = 20
HELDOUT_CORPUS = "health"
SOURCE_LOCALE = "en"
