// Vue's browser build (template compiler included, no bundler) has the types of the package.
declare module 'vue/dist/vue.esm-browser.prod.js' {
  export * from 'vue';
}
