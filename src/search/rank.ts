/**
 * Ranks tools by a few words (serve's `search_tools`): BM25F over the fields of each tool (its
 * name split into words, title, description, argument names, server), with the query's words
 * widened by a short list of words agents use for the same thing ("open" a pull request is
 * `create_pull_request`, "remember a fact" is `add_observations`). Pure: tool documents in,
 * index out, the same hits in the same order for the same documents in any order.
 *
 * Our own rather than a library's (minisearch, lunr): the parts that decide the ranking here are
 * ours either way (splitting `createPullRequest` and `list_issues`, plurals, related words scored as
 * one term, field weights, ties broken by name), the index of a few thousand tools is a map of
 * postings, and fuzzy or prefix matching, what such libraries add, ranks identifiers worse
 * (`pr` matches `print`).
 */
import { compareStrings } from '../shared/values.js';

/** One tool as search sees it: the words of its generated file, and where to import it from. */
export interface ToolDoc {
  server: string;
  /** The tool's name on the server (`create_pull_request`). */
  tool: string;
  /** Its function in the SDK (`createPullRequest`). */
  fn: string;
  title: string;
  description: string;
  /** The names of its arguments' properties, at every depth. */
  properties: string[];
}

export interface SearchHit {
  doc: ToolDoc;
  score: number;
}

export interface SearchIndex {
  docs: ToolDoc[];
  /** The words of each document's tool name, by document id. */
  names: string[][];
  /** Per term, the documents holding it and the term's weighted, length-normalised frequency there. */
  postings: Map<string, Map<number, number>>;
}

const FIELDS = ['name', 'title', 'description', 'properties', 'server'] as const;
type Field = (typeof FIELDS)[number];
/** A word of the tool's name says more than one of its description, which says more than an argument's name. */
const WEIGHTS: Record<Field, number> = { name: 3, title: 2, description: 1, properties: 0.5, server: 1.5 };
const K1 = 1.2;
const B = 0.75;
/** A related word counts for less than the word itself. */
const RELATED_WEIGHT = 0.7;
/**
 * How much a tool whose name the query explains wholly gains over one it explains in part: `issues`
 * is `list_issues` (half its name) before `remove_sub_issue` (a third), whose description says
 * "issue" twice.
 */
const NAME_COVERAGE = 0.5;

const STOP_WORDS = new Set(
  'a an and are as at be by do for from how i in into is it its me my of on or our so that the their them this to use using we with you your about'.split(' '),
);

/**
 * Words agents use for what tools call otherwise: each line is a group, and a word of the query
 * also matches the other words of its groups (as one term: a tool that has two of them is not
 * counted twice). Kept short and general; a tool's own words always score higher.
 */
const RELATED = [
  'open create new add make start submit',
  'remember memory memorize store save persist record',
  'fact observation note information detail knowledge',
  'person people entity user individual contact human member',
  'delete remove erase drop destroy discard',
  'find search lookup query locate discover',
  'get read fetch retrieve show view load display',
  'update edit modify change patch rename',
  'list enumerate browse',
  'issue ticket bug',
  'repository repo',
  'folder directory dir',
  'file document doc',
  'comment reply',
  'write save put',
  'relation relationship link connection',
  'run execute invoke launch trigger',
  'pr pull',
  'close resolve',
  'organization org team company',
  'label tag',
  'copy duplicate clone fork',
].map((line) => line.split(' ').map(stem));

const relatedWords = new Map<string, Set<string>>();
for (const group of RELATED) {
  for (const word of group) {
    const related = relatedWords.get(word) ?? new Set<string>();
    for (const other of group) if (other !== word) related.add(other);
    relatedWords.set(word, related);
  }
}

/**
 * The words of a text as the index keeps them: split at anything but letters and digits and at
 * case changes (`createPullRequest`, `list_issues`, `XMLParser` → xml parser), lower-cased, plurals
 * made singular, common words dropped.
 */
export function terms(text: string): string[] {
  const found: string[] = [];
  for (const part of text.match(/\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+|\p{L}+/gu) ?? []) {
    const word = stem(part.toLowerCase());
    if (!STOP_WORDS.has(word)) found.push(word);
  }
  return found;
}

/** English plurals to their singular, roughly: entities → entity, branches → branch, issues → issue. */
function stem(word: string): string {
  if (word.length <= 3 || !word.endsWith('s')) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(?:ss|ch|sh|x|z|us)es$/.test(word)) return word.slice(0, -2);
  if (/(?:ss|us|is)$/.test(word)) return word;
  return word.slice(0, -1);
}

function fieldsOf(doc: ToolDoc): Record<Field, string[]> {
  return {
    name: terms(doc.tool),
    title: terms(doc.title),
    description: terms(doc.description),
    properties: doc.properties.flatMap(terms),
    server: terms(doc.server),
  };
}

/** The index of these tools (any order: documents are sorted by server and tool first). */
export function buildIndex(input: readonly ToolDoc[]): SearchIndex {
  const docs = [...input].sort((a, b) => compareStrings(a.server, b.server) || compareStrings(a.tool, b.tool));
  const fields = docs.map(fieldsOf);
  const average = Object.fromEntries(
    FIELDS.map((field) => [field, fields.reduce((sum, doc) => sum + doc[field].length, 0) / Math.max(1, docs.length) || 1]),
  ) as Record<Field, number>;
  const postings = new Map<string, Map<number, number>>();
  fields.forEach((doc, id) => {
    for (const field of FIELDS) {
      const words = doc[field];
      if (words.length === 0) continue;
      // BM25F: each field's frequency is normalised by that field's length, weighted, then summed.
      const norm = WEIGHTS[field] / (1 - B + (B * words.length) / average[field]);
      for (const word of words) {
        const posting = postings.get(word) ?? new Map<number, number>();
        posting.set(id, (posting.get(id) ?? 0) + norm);
        postings.set(word, posting);
      }
    }
  });
  return { docs, names: fields.map((doc) => doc.name), postings };
}

/**
 * The tools that match the query, best first: each query word (with its related words, as one
 * term) adds its BM25 score, and the share of the tool's name the query's words make up raises it
 * (NAME_COVERAGE); equal scores go by server, then tool name. `server` keeps one server's tools.
 */
export function searchIndex(index: SearchIndex, query: string, options: { server?: string; limit?: number } = {}): SearchHit[] {
  const scores = new Map<number, number>();
  const total = index.docs.length;
  /** What each word of the query, or a word related to one, is worth in a tool's name. */
  const wanted = new Map<string, number>();
  for (const word of new Set(terms(query))) {
    const weighted = new Map<number, number>();
    const add = (term: string, weight: number): void => {
      wanted.set(term, Math.max(wanted.get(term) ?? 0, weight));
      for (const [doc, frequency] of index.postings.get(term) ?? []) weighted.set(doc, (weighted.get(doc) ?? 0) + weight * frequency);
    };
    add(word, 1);
    for (const related of relatedWords.get(word) ?? []) add(related, RELATED_WEIGHT);
    if (weighted.size === 0) continue;
    const idf = Math.log(1 + (total - weighted.size + 0.5) / (weighted.size + 0.5));
    for (const [doc, frequency] of weighted) scores.set(doc, (scores.get(doc) ?? 0) + (idf * frequency * (K1 + 1)) / (frequency + K1));
  }
  const hits: SearchHit[] = [];
  for (const [id, score] of scores) {
    const doc = index.docs[id] as ToolDoc;
    if (options.server !== undefined && doc.server !== options.server) continue;
    const name = index.names[id] as string[];
    const covered = name.reduce((sum, word) => sum + (wanted.get(word) ?? 0), 0) / Math.max(1, name.length);
    hits.push({ doc, score: score * (1 + NAME_COVERAGE * covered) });
  }
  hits.sort((a, b) => b.score - a.score || compareStrings(a.doc.server, b.doc.server) || compareStrings(a.doc.tool, b.doc.tool));
  return options.limit === undefined ? hits : hits.slice(0, options.limit);
}
