export { SwitchboardChat, type WidgetIdentity, readableOn } from './switchboard-chat.js';
export { CATALOGUES } from './catalogues.js';
export { type Catalogue, type Locale, resolveLocale } from './i18n.js';
export { linkify, type TextPart } from './linkify.js';
export { ChatController } from './chat-controller.js';
