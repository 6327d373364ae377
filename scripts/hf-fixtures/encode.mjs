// Prints, as JSON, the ids Hugging Face's tokenizers library gives each text of a JSON list (as
// tokenizer(text), special tokens added): node encode.mjs TOKENIZER_JSON TEXTS_JSON
import tokenizers from 'tokenizers';

const tokenizer = tokenizers.Tokenizer.fromFile(process.argv[2]);
const texts = JSON.parse(process.argv[3]);
const ids = [];
for (const text of texts) ids.push((await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds());
console.log(JSON.stringify(ids));
