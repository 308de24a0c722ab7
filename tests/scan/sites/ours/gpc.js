if (navigator.globalPrivacyControl === true) document.cookie = "gpc_js=1; path=/";
