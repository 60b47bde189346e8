// Follows the page's continue link at once. The console cannot answer a
// form with a redirect to another site (its policy allows forms to lead
// only to itself), so it answers with this link instead.
(function () {
  var link = document.querySelector("a[data-follow]");
  if (link) {
    window.location.replace(link.href);
  }
})();
