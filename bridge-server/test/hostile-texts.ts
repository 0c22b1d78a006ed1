/**
 * A fixed corpus of texts that try to break out of each protocol's framing: CR/LF/NUL, CTCP,
 * XML metacharacters and stanza endings, SIP header lines and a second request, IRC commands,
 * bidi controls, and a long text. Every network test sends each one and counts what arrives.
 */
export const HOSTILE_TEXTS: readonly string[] = [
  'cr\rlf\nboth\r\nend',
  'nul\u0000inside',
  '\u0001ACTION fake action\u0001',
  '\u0001VERSION\u0001',
  'xml <b>bold</b> & \'quotes\' "double" ]]> <![CDATA[ x ]]> &amp; &#0;',
  '</body></message><message to="admin@localhost" type="chat"><body>injected</body></message>',
  'sip\r\nVia: SIP/2.0/UDP evil.test;branch=z9hG4bKevil\r\nContent-Length: 0\r\n\r\nINVITE sip:x@y SIP/2.0',
  'header-like\nVia: SIP/2.0/WS evil\nTo: <sip:evil@x>\nContent-Type: text/html',
  'irc\r\nQUIT :bye\r\nJOIN #evil\r\nPRIVMSG bob :x\r\nNICK mallory',
  'bidi \u202Emoc.knab\u202C \u2066isolated\u2069 \u200E\u200F\u061C',
  'https://evil.example/\u202Emoc.knab.www//:sptth',
  `long ${'L'.repeat(3000)} end`,
];
