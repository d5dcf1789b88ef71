// The page of GET /swagger/ (swagger/ui/index.html): Swagger UI showing the gateway's OpenAPI
// documents, which it reads from this same directory. ?api=<name> opens one.
// Nothing is fetched from elsewhere: no validator badge (validatorUrl null), and the page's
// Content-Security-Policy allows 'self' only. "Try it out" is off: the page is for reading;
// calls go through an app (see the README).
window.addEventListener('load', () => {
  const apis = [
    { name: 'pairing', title: 'Pairing (OAuth 2.0 + PKCE, portal, consent)' },
    { name: 'measures', title: 'Measures (FHIR Observation)' },
    { name: 'documents', title: 'Documents (FHIR DocumentReference, IHE MHD)' },
    { name: 'agenda', title: 'Agenda (FHIR Appointment)' },
    { name: 'registry', title: 'Referencing registry and catalogue' },
  ];
  const wanted = new URLSearchParams(window.location.search).get('api');
  const primary = apis.find((a) => a.name === wanted) || apis[0];
  window.ui = SwaggerUIBundle({
    urls: apis.map((a) => ({ url: `${a.name}.yaml`, name: a.title })),
    'urls.primaryName': primary.title,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: [],
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
});
