/**
 * The conversations whose rating got the visitor's comment, kept on the device for the site
 * (site-records.ts): the widget asks for a comment once, not again after a reload.
 */
import { readSiteRecord, writeSiteRecord } from './site-records.js';

const RECORD = 'rating-comments';
/** Conversations remembered at most: the latest. */
const KEPT = 50;

export function commentedOn(siteKey: string, conversationId: string): boolean {
  return readSiteRecord<true>(siteKey, RECORD)[conversationId] === true;
}

export function keepCommented(siteKey: string, conversationId: string): void {
  const record = readSiteRecord<true>(siteKey, RECORD);
  delete record[conversationId];
  record[conversationId] = true;
  const ids = Object.keys(record);
  writeSiteRecord(siteKey, RECORD, Object.fromEntries(ids.slice(-KEPT).map((id) => [id, true])));
}
