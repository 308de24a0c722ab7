document.cookie = "about_cookie=1; path=/";
