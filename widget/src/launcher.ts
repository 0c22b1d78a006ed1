/** What the loader and the chat share about the launcher, without importing either. */

/** The launcher's name before the chat's catalogues load (the same words as their `openChat`). */
export const OPEN_CHAT: Record<string, string> = { en: 'Open chat', fr: 'Ouvrir la discussion', ar: 'افتح المحادثة' };

/** sessionStorage: the panel was open on this site's pages (reopened after a reload or a navigation). */
export const openKey = (siteKey: string) => `switchboard:${siteKey}:open`;
