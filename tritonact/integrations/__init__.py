"""tritonact inside code you do not edit: ``patch``/``unpatch`` for real models (``patching``),
``replace_activations`` (``replace``), the table of other projects' activation classes
(``thirdparty``) and the switch that serves torch's own operators (``switch``)."""
