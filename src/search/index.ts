/**
 * search/: ranks the SDK's tools by a query (serve's `search_tools`). `rank.ts` is pure (tool
 * documents → an index → ranked hits); `catalog.ts` reads those documents from the generated SDK
 * on disk and keeps the index current with the lock.
 */
export { buildIndex, searchIndex, terms, type SearchHit, type SearchIndex, type ToolDoc } from './rank.js';
export { DETAILS, MAX_LIMIT, SearchError, ToolCatalog, toolDoc, type Detail, type SearchRequest } from './catalog.js';
