/**
 * The widget's message catalogue. Every visible string comes from here; dates and times are
 * formatted with Intl in the chosen locale. Add a language by adding a catalogue.
 */
import { OPEN_CHAT } from './launcher.js';

const en = {
  openChat: OPEN_CHAT.en!,
  closeChat: 'Close chat',
  title: 'Chat with us',
  online: "We're online",
  away: "We'll reply by email",
  connecting: 'Connecting…',
  offlineBanner: 'You are offline. Messages will be sent when the connection is back.',
  placeholder: 'Write a message…',
  messageLabel: 'Message',
  send: 'Send',
  you: 'You',
  agent: 'Support',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
  retry: 'Retry',
  discard: 'Discard',
  typing: 'Support is typing…',
  charactersLeft: (n: number) => `${n} characters left`,
  prechatIntro: 'Before we start, how can we reach you?',
  name: 'Name',
  email: 'Email',
  optional: '(optional)',
  start: 'Start chat',
  skip: 'Skip',
  offlineIntro: 'Nobody is here right now. Leave a message and we will reply by email.',
  leaveMessage: 'Send message',
  offlineThanks: 'Thanks! We will get back to you by email.',
  closed: 'This conversation was closed. Write to start again.',
  ratePrompt: 'How was this conversation?',
  rateOption: (n: number) => `${n} out of 5`,
  rateThanks: 'Thanks for your feedback!',
  unread: (n: number) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  newMessageTitle: 'New message',
  errorTitle: 'Chat is unavailable',
  emptyState: 'Ask us anything. We usually answer within minutes.',
  invalidEmail: 'Enter a valid email address.',
  required: 'This field is required.',
};

export type Catalogue = typeof en;

const fr: Catalogue = {
  openChat: OPEN_CHAT.fr!,
  closeChat: 'Fermer la discussion',
  title: 'Discutons',
  online: 'Nous sommes en ligne',
  away: 'Nous répondrons par e-mail',
  connecting: 'Connexion…',
  offlineBanner: 'Vous êtes hors ligne. Les messages partiront au retour de la connexion.',
  placeholder: 'Écrivez un message…',
  messageLabel: 'Message',
  send: 'Envoyer',
  you: 'Vous',
  agent: 'Support',
  sending: 'Envoi',
  sent: 'Envoyé',
  delivered: 'Distribué',
  read: 'Lu',
  failed: 'Non envoyé',
  retry: 'Réessayer',
  discard: 'Supprimer',
  typing: 'Le support écrit…',
  charactersLeft: (n) => `${n} caractères restants`,
  prechatIntro: 'Avant de commencer, comment vous joindre ?',
  name: 'Nom',
  email: 'E-mail',
  optional: '(facultatif)',
  start: 'Commencer',
  skip: 'Passer',
  offlineIntro: 'Personne n’est disponible. Laissez un message, nous répondrons par e-mail.',
  leaveMessage: 'Envoyer le message',
  offlineThanks: 'Merci ! Nous vous répondrons par e-mail.',
  closed: 'Cette discussion est close. Écrivez pour la reprendre.',
  ratePrompt: 'Comment s’est passée cette discussion ?',
  rateOption: (n: number) => `${n} sur 5`,
  rateThanks: 'Merci pour votre avis !',
  unread: (n) => (n === 1 ? '1 message non lu' : `${n} messages non lus`),
  newMessageTitle: 'Nouveau message',
  errorTitle: 'La discussion est indisponible',
  emptyState: 'Posez-nous vos questions. Nous répondons en général en quelques minutes.',
  invalidEmail: 'Saisissez une adresse e-mail valide.',
  required: 'Ce champ est obligatoire.',
};

const ar: Catalogue = {
  openChat: OPEN_CHAT.ar!,
  closeChat: 'أغلق المحادثة',
  title: 'تحدث معنا',
  online: 'نحن متصلون',
  away: 'سنرد عبر البريد الإلكتروني',
  connecting: 'جارٍ الاتصال…',
  offlineBanner: 'أنت غير متصل. ستُرسل الرسائل عند عودة الاتصال.',
  placeholder: 'اكتب رسالة…',
  messageLabel: 'الرسالة',
  send: 'إرسال',
  you: 'أنت',
  agent: 'الدعم',
  sending: 'جارٍ الإرسال',
  sent: 'أُرسلت',
  delivered: 'وصلت',
  read: 'قُرئت',
  failed: 'لم تُرسل',
  retry: 'أعد المحاولة',
  discard: 'احذف',
  typing: 'الدعم يكتب…',
  charactersLeft: (n) => `بقي ${n} حرفًا`,
  prechatIntro: 'قبل أن نبدأ، كيف يمكننا التواصل معك؟',
  name: 'الاسم',
  email: 'البريد الإلكتروني',
  optional: '(اختياري)',
  start: 'ابدأ المحادثة',
  skip: 'تخطَّ',
  offlineIntro: 'لا أحد متاح الآن. اترك رسالة وسنرد عبر البريد الإلكتروني.',
  leaveMessage: 'أرسل الرسالة',
  offlineThanks: 'شكرًا! سنرد عليك عبر البريد الإلكتروني.',
  closed: 'أُغلقت هذه المحادثة. اكتب لتبدأ من جديد.',
  ratePrompt: 'كيف كانت هذه المحادثة؟',
  rateOption: (n: number) => `${n} من 5`,
  rateThanks: 'شكرًا على رأيك!',
  unread: (n) => `${n} رسائل غير مقروءة`,
  newMessageTitle: 'رسالة جديدة',
  errorTitle: 'المحادثة غير متاحة',
  emptyState: 'اسألنا ما تشاء. نرد عادةً خلال دقائق.',
  invalidEmail: 'أدخل بريدًا إلكترونيًا صحيحًا.',
  required: 'هذا الحقل مطلوب.',
};

export const CATALOGUES: Record<string, Catalogue> = { en, fr, ar };

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur']);

export interface Locale {
  /** The BCP 47 tag used for Intl formatting. */
  tag: string;
  dir: 'ltr' | 'rtl';
  t: Catalogue;
  time(date: Date): string;
}

/** The best catalogue for a BCP 47 tag (`fr-CA` -> fr), English when there is none. */
export function resolveLocale(tag: string | undefined): Locale {
  const requested = (tag || 'en').trim();
  const language = requested.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const t = CATALOGUES[language] ?? en;
  const used = CATALOGUES[language] ? requested : 'en';
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat(used, { hour: 'numeric', minute: '2-digit' });
  } catch {
    formatter = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' });
  }
  return { tag: used, dir: RTL_LANGUAGES.has(language) && CATALOGUES[language] ? 'rtl' : 'ltr', t, time: (date) => formatter.format(date) };
}
