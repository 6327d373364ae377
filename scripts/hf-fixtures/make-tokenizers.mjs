// Builds small tokenizers in the exact tokenizer.json layouts of real model families and records the
// ids Hugging Face's `tokenizers` library (the Rust library's Node binding) gives for a set of test
// strings. The C# tests compare against these ids; nothing here is computed by the project's code.
//
//   cd scripts/hf-fixtures && npm ci && node make-tokenizers.mjs [SHARED_DATA_DIR]
//
// Layouts (facts of the published files): gpt2 (ByteLevel throughout), llama3 (Split regex + ByteLevel,
// ignore_merges, TemplateProcessing adding <|begin_of_text|>), qwen2 (NFC, Split regex + ByteLevel,
// no BOS, a non-special added token), llama2 (Prepend/Replace normalizer, byte-fallback BPE,
// TemplateProcessing adding <s>), mistral (Metaspace pre-tokenizer, prepend_scheme "first").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tokenizers from 'tokenizers';

const { Tokenizer, BPE, byteLevelPreTokenizer, metaspacePreTokenizer } = tokenizers;
const here = path.dirname(fileURLToPath(import.meta.url));
const shared = process.argv[2] ?? path.join(here, '../../../shared/data');
const out = path.join(here, '../../tests/data/tokenizers');
const merges = 1800;

const lines = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const gsm = lines(path.join(shared, 'gsm8k/test.jsonl')).slice(0, 300).map((r) => `${r.question}\n\n${r.answer}`);
const math = lines(path.join(shared, 'math500/test.jsonl')).slice(0, 150).map((r) => `${r.problem}\n\n${r.solution}`);
const extra = ['café naïve résumé Ångström über straße', '数学问题：求解方程的值。答案是四十二。', 'I ❤️ 🦙 and 👩‍👩‍👧 😀', '\t\tindented code\n    four spaces'];
const corpusFile = path.join(here, 'corpus.tmp.txt');
fs.writeFileSync(corpusFile, [...gsm, ...math, ...extra.flatMap((e) => [e, e, e])].join('\n'));

function train(preTokenizer) {
  const t = new Tokenizer(BPE.empty());
  t.setPreTokenizer(preTokenizer);
  t.train([corpusFile]);
  const saved = path.join(here, 'trained.tmp.json');
  t.save(saved, false);
  const model = JSON.parse(fs.readFileSync(saved, 'utf8')).model;
  fs.rmSync(saved);
  return model.merges.slice(0, merges).map((m) => (Array.isArray(m) ? m : m.split(' ')));
}

// GPT-2's byte-to-character table.
function byteAlphabet() {
  const direct = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const chars = [];
  let next = 256;
  for (let b = 0; b < 256; b++) chars.push(String.fromCodePoint(direct.includes(b) ? b : next++));
  return chars;
}

function vocabulary(initial, mergeList) {
  const vocab = {};
  for (const token of initial) if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  const kept = [];
  for (const [a, b] of mergeList) {
    if (!(a in vocab) || !(b in vocab)) continue;
    kept.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
  }
  return { vocab, merges: kept };
}

const added = (id, content, special = true) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });
const split = (regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
const byteLevel = (extra = {}) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true, ...extra });
const bpe = (v, extra = {}) => ({ type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, ...extra, vocab: v.vocab, merges: v.merges });
const llama3Regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const qwen2Regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const template = (bos, bosId) => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
});
const base = (extra) => ({ version: '1.0', truncation: null, padding: null, ...extra });

const byteMerges = train(byteLevelPreTokenizer(false, true));
const byteVocab = vocabulary(byteAlphabet(), byteMerges);
const n = Object.keys(byteVocab.vocab).length;

const metaMerges = train(metaspacePreTokenizer('▁', 'always', true));
const metaInitial = ['<unk>', '<s>', '</s>'];
for (let b = 0; b < 256; b++) metaInitial.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
const metaChars = new Set();
for (const [a, b] of metaMerges) for (const c of [...a, ...b]) metaChars.add(c);
const metaVocab = vocabulary([...metaInitial, ...[...metaChars].sort()], metaMerges);
const metaSpecial = [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')];
const metaDecoder = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };
const metaModel = bpe(metaVocab, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true });

const llama3Special = ['<|begin_of_text|>', '<|end_of_text|>', '<|reserved_special_token_0|>', '<|reserved_special_token_1|>', '<|finetune_right_pad_id|>', '<|reserved_special_token_2|>', '<|start_header_id|>', '<|end_header_id|>', '<|eom_id|>', '<|eot_id|>', '<|python_tag|>'];

const families = {
  gpt2: base({
    added_tokens: [added(n, '<|endoftext|>')],
    normalizer: null, pre_tokenizer: byteLevel(), post_processor: byteLevel(), decoder: byteLevel(), model: bpe(byteVocab),
  }),
  llama3: base({
    added_tokens: llama3Special.map((t, i) => added(n + i, t)),
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(llama3Regex), byteLevel({ use_regex: false })] },
    post_processor: { type: 'Sequence', processors: [byteLevel({ add_prefix_space: true, trim_offsets: false }), template('<|begin_of_text|>', n)] },
    decoder: byteLevel(), model: bpe(byteVocab, { ignore_merges: true }),
  }),
  qwen2: base({
    added_tokens: [added(n, '<|endoftext|>'), added(n + 1, '<|im_start|>'), added(n + 2, '<|im_end|>'), added(n + 3, '<think>', false), added(n + 4, '</think>', false)],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(qwen2Regex), byteLevel({ use_regex: false })] },
    post_processor: byteLevel({ trim_offsets: false, use_regex: false }), decoder: byteLevel(), model: bpe(byteVocab),
  }),
  llama2: base({
    added_tokens: metaSpecial,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null, post_processor: template('<s>', 1), decoder: metaDecoder, model: metaModel,
  }),
  mistral: base({
    added_tokens: [...metaSpecial, added(Object.keys(metaVocab.vocab).length, '[INST]'), added(Object.keys(metaVocab.vocab).length + 1, '[/INST]')],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: template('<s>', 1),
    decoder: metaDecoder,
    model: metaModel,
  }),
};

const texts = [
  '', 'a', 'Hello world', ' leading space', 'trailing space ', '  spaces   runs  between ', '\n\n', 'step one\n\nstep two\n\n\nthree',
  '12345 678 9', '1234567890123', '3.14159 and -0.5e10', "Let's compute: I'm sure you'll see they'D agree",
  '$\\frac{3}{4} = 0.75$ so \\boxed{42}', 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
  'café naïve résumé Ångström über straße', 'cafe\u0301 (combining accent)', '数学问题：求解方程的值。答案是四十二。', 'I ❤️ 🦙 and 👩‍👩‍👧 😀!',
  '\t\tindented code\n    four spaces', 'x<|endoftext|>y', '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  '<think>\nhmm\n</think>\n\nThe answer is 4.', '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  '<s>[INST] What is 2+2? [/INST] 4</s>', 'unknown ∮ symbol ⊕ here', 'ÿ\u0000\u0007 control',
];

fs.mkdirSync(out, { recursive: true });
for (const [name, json] of Object.entries(families)) {
  const dir = path.join(out, name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  const tokenizer = Tokenizer.fromFile(file);
  const cases = [];
  for (const text of texts) {
    const withSpecial = (await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
    const plain = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
    cases.push({
      text,
      ids: withSpecial,
      ids_without_special: plain,
      decoded: await tokenizer.decode(withSpecial, true),
      decoded_with_special: await tokenizer.decode(withSpecial, false),
    });
  }

  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ library: 'tokenizers (npm) 0.23.2', vocab_size: tokenizer.getVocabSize(true), cases }, null, 1) + '\n');
  console.log(`${name}: ${tokenizer.getVocabSize(true)} tokens, ${cases.length} cases`);
}

fs.rmSync(corpusFile);
