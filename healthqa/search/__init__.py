"""Search: question understanding, the lexical and semantic indexes, fusion and ranking."""
