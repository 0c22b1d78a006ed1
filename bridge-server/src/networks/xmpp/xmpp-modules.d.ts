// @xmpp/component 0.13 ships no types; this is the part the bridge uses.
declare module '@xmpp/component' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    /** The element's namespace: its xmlns (or its prefix's), else its parent's; undefined when none says. */
    getNS(): string | undefined;
    is(name: string, xmlns?: string): boolean;
    toString(): string;
  }

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    getLocal(unescape?: boolean): string;
    toString(unescape?: boolean): string;
  }

  export type IqHandler = (context: { stanza: Element; element: Element; from: JID | null; to: JID | null }) => Element | Promise<Element>;

  export interface Component extends EventEmitter {
    status: string;
    options: { service: string; domain: string };
    reconnect: { stop(): void };
    connect(service: string): Promise<void>;
    open(options: { domain: string }): Promise<void>;
    /** Connects and opens the stream (resolves once online). */
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
    /** Sends an iq and resolves with the result; rejects with the error answer or after `timeout` ms. */
    iqCaller: { request(element: Element, timeout?: number): Promise<Element> };
    /**
     * Answers iq get/set queries; `element` is the query child. A returned `<error/>` element is sent
     * as the iq error, anything else as the result; a thrown error becomes internal-server-error.
     */
    iqCallee: {
      get(ns: string, name: string, handler: IqHandler): void;
      set(ns: string, name: string, handler: IqHandler): void;
    };
  }

  export function component(options: { service: string; domain: string; password: string }): Component;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string | null | undefined | false)[]): Element;
  export function jid(local: string, domain?: string, resource?: string): JID;
}

// @xmpp/client 0.14 ships no types either; the bridge uses the same surface as the component.
declare module '@xmpp/client' {
  import type { Component, Element, JID } from '@xmpp/component';

  export interface Client extends Component {
    jid: JID | null;
    start(): Promise<unknown>;
  }

  export function client(options: { service: string; domain: string; username: string; password: string; resource?: string }): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string | null | undefined | false)[]): Element;
}
