from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        min_length=6,
        validators=[RegexValidator(r"^\d{6,8}$", _("Enter the 6-digit code."))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
