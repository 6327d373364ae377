// Prints, as JSON, the ids Hugging Face's tokenizers library gives each text of a JSON list (as
// tokenizer(text), special tokens added): node encode.mjs TOKENIZER_JSON TEXTS_JSON, or @FILE for a
// file holding the JSON list (the ids then go to FILE.ids.json). A third argument `plain` encodes as
// tokenizer(text, add_special_tokens=False) does.
import fs from 'node:fs';
import tokenizers from 'tokenizers';

const tokenizer = tokenizers.Tokenizer.fromFile(process.argv[2]);
const arg = process.argv[3];
const texts = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const addSpecialTokens = process.argv[4] !== 'plain';
const ids = [];
for (const text of texts) ids.push((await tokenizer.encode(text, null, { addSpecialTokens })).getIds());
if (arg.startsWith('@')) fs.writeFileSync(arg.slice(1) + '.ids.json', JSON.stringify(ids));
else console.log(JSON.stringify(ids));
