// A print button without inline script (the CSP allows scripts from this site only).
document.querySelectorAll(".js-print").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
