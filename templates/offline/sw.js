{% autoescape off %}// The CRM's service worker (visits/offline.py renders it; the logic is in js/sw-routes.js).
self.CRM_SW = {{ config }};
importScripts({% for script in scripts %}"{{ script }}"{% if not forloop.last %}, {% endif %}{% endfor %});
{% endautoescape %}
